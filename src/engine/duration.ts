// Go-style durations ("1h30m", "300ms", "-2.5s") in seconds.

const UNIT: Record<string, number> = {
  ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600,
};
const PART_RE = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a Go duration; returns seconds or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  let s = text.trim();
  if (s === '0') return 0;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '') return null;
  let total = 0;
  PART_RE.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    PART_RE.lastIndex = pos;
    const m = PART_RE.exec(s);
    if (!m) return null;
    total += Number(m[1]) * UNIT[m[2]];
    pos = PART_RE.lastIndex;
  }
  return sign * total;
}

/** Formats seconds the way Go's time.Duration.String does (e.g. "1h30m0s", "1.5s", "300ms"). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const neg = seconds < 0;
  let ns = Math.round(Math.abs(seconds) * 1e9);
  let out: string;
  if (ns < 1e9) {
    if (ns < 1e3) out = `${ns}ns`;
    else if (ns < 1e6) out = `${trimFloat(ns / 1e3)}µs`;
    else out = `${trimFloat(ns / 1e6)}ms`;
  } else {
    const h = Math.floor(ns / 3.6e12);
    ns -= h * 3.6e12;
    const m = Math.floor(ns / 6e10);
    ns -= m * 6e10;
    const s = trimFloat(ns / 1e9);
    out = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  }
  return neg ? '-' + out : out;
}

function trimFloat(n: number): string {
  return String(Number(n.toFixed(9)));
}
