// Go reference-time layouts ("2006-01-02T15:04:05Z07:00", "Jan _2 2006", "01/02/06 3:04PM") for
// Kyverno's time_parse / time_since: a layout compiles to a regular expression with one capture
// per component, then the captures build a UTC instant.

type Part = { re: string; set?: (v: string, t: Fields) => void };
interface Fields { year: number; month: number; day: number; hour: number; min: number; sec: number; frac: number; pm: boolean | null; offset: number; yday: number }

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const monthIndex = (v: string): number => MONTHS.findIndex((m) => m.toLowerCase().startsWith(v.toLowerCase())) + 1;

function offsetOf(v: string): number {
  if (v === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?:?(\d{2})?$/.exec(v);
  if (!m) return 0;
  const mins = Number(m[2]) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 60;
  return m[1] === '-' ? -mins : mins;
}

// Longest tokens first so "2006" wins over "2" and "January" over "Jan".
const TOKENS: Array<[string, Part]> = [
  ['January', { re: '(' + MONTHS.join('|') + ')', set: (v, t) => { t.month = monthIndex(v); } }],
  ['Monday', { re: '(?:' + DAYS.join('|') + ')' }],
  ['Z07:00:00', { re: '(Z|[+-]\\d{2}:\\d{2}:\\d{2})', set: (v, t) => { t.offset = offsetOf(v); } }],
  ['-07:00:00', { re: '([+-]\\d{2}:\\d{2}:\\d{2})', set: (v, t) => { t.offset = offsetOf(v); } }],
  ['Z07:00', { re: '(Z|[+-]\\d{2}:\\d{2})', set: (v, t) => { t.offset = offsetOf(v); } }],
  ['-07:00', { re: '([+-]\\d{2}:\\d{2})', set: (v, t) => { t.offset = offsetOf(v); } }],
  ['Z0700', { re: '(Z|[+-]\\d{4})', set: (v, t) => { t.offset = offsetOf(v); } }],
  ['-0700', { re: '([+-]\\d{4})', set: (v, t) => { t.offset = offsetOf(v); } }],
  ['Z07', { re: '(Z|[+-]\\d{2})', set: (v, t) => { t.offset = offsetOf(v); } }],
  ['-07', { re: '([+-]\\d{2})', set: (v, t) => { t.offset = offsetOf(v); } }],
  ['2006', { re: '(\\d{4})', set: (v, t) => { t.year = Number(v); } }],
  ['Jan', { re: '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)', set: (v, t) => { t.month = monthIndex(v); } }],
  ['Mon', { re: '(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)' }],
  ['MST', { re: '([A-Z]{3,5}|[+-]\\d+)', set: (v, t) => { if (/^[+-]/.test(v)) t.offset = offsetOf(v); } }],
  ['002', { re: '(\\d{3})', set: (v, t) => { t.yday = Number(v); } }],
  ['__2', { re: '([ \\d]{2}\\d)', set: (v, t) => { t.yday = Number(v.trim()); } }],
  ['_2', { re: '([ \\d]?\\d)', set: (v, t) => { t.day = Number(v.trim()); } }],
  ['01', { re: '(\\d{2})', set: (v, t) => { t.month = Number(v); } }],
  ['02', { re: '(\\d{2})', set: (v, t) => { t.day = Number(v); } }],
  ['03', { re: '(\\d{2})', set: (v, t) => { t.hour = Number(v); } }],
  ['04', { re: '(\\d{2})', set: (v, t) => { t.min = Number(v); } }],
  ['05', { re: '(\\d{2})', set: (v, t) => { t.sec = Number(v); } }],
  ['06', { re: '(\\d{2})', set: (v, t) => { const y = Number(v); t.year = y >= 69 ? 1900 + y : 2000 + y; } }],
  ['15', { re: '(\\d{1,2})', set: (v, t) => { t.hour = Number(v); } }],
  ['PM', { re: '(AM|PM)', set: (v, t) => { t.pm = v === 'PM'; } }],
  ['pm', { re: '(am|pm)', set: (v, t) => { t.pm = v === 'pm'; } }],
  ['1', { re: '(\\d{1,2})', set: (v, t) => { t.month = Number(v); } }],
  ['2', { re: '(\\d{1,2})', set: (v, t) => { t.day = Number(v); } }],
  ['3', { re: '(\\d{1,2})', set: (v, t) => { t.hour = Number(v); } }],
  ['4', { re: '(\\d{1,2})', set: (v, t) => { t.min = Number(v); } }],
  ['5', { re: '(\\d{1,2})', set: (v, t) => { t.sec = Number(v); } }],
];

const FRACTION = /^[.,](0+|9+)/;
const cache = new Map<string, { re: RegExp; setters: Array<(v: string, t: Fields) => void> }>();

function compileLayout(layout: string): { re: RegExp; setters: Array<(v: string, t: Fields) => void> } {
  let hit = cache.get(layout);
  if (hit) return hit;
  let src = '^';
  const setters: Array<(v: string, t: Fields) => void> = [];
  let i = 0;
  let sawSeconds = false;
  outer: while (i < layout.length) {
    const rest = layout.slice(i);
    const frac = FRACTION.exec(rest);
    if (frac && sawSeconds) {
      src += rest[1] === '9' ? '(?:[.,](\\d+))?' : `[.,](\\d{${frac[1].length}})`;
      setters.push((v, t) => { if (v) t.frac = Number('0.' + v); });
      i += frac[0].length;
      continue;
    }
    for (const [tok, part] of TOKENS) {
      if (rest.startsWith(tok)) {
        src += part.re;
        if (part.set) setters.push(part.set);
        if (tok === '05' || tok === '5') sawSeconds = true;
        i += tok.length;
        continue outer;
      }
    }
    src += layout[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i++;
  }
  // Go accepts fractional seconds after the seconds field even when the layout has none.
  src = src.replace(/(\(\\d\{2\}\)|\(\\d\{1,2\}\))$/, '$1');
  hit = { re: new RegExp(src + '$'), setters };
  cache.set(layout, hit);
  return hit;
}

/** Parses `value` with a Go layout; returns null when it does not match. */
export function parseGoTime(layout: string, value: string): Date | null {
  const { re, setters } = compileLayout(layout);
  const m = re.exec(value);
  if (!m) return null;
  const t: Fields = { year: 0, month: 1, day: 1, hour: 0, min: 0, sec: 0, frac: 0, pm: null, offset: 0, yday: 0 };
  let g = 1;
  for (const set of setters) set(m[g++] ?? '', t);
  if (t.pm !== null) {
    if (t.pm && t.hour < 12) t.hour += 12;
    if (!t.pm && t.hour === 12) t.hour = 0;
  }
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.min > 59 || t.sec > 59) return null;
  let ms = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.min, t.sec) + Math.round(t.frac * 1000);
  if (t.yday) ms = Date.UTC(t.year, 0, t.yday, t.hour, t.min, t.sec);
  const d = new Date(ms - t.offset * 60000);
  if (!t.yday && new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDate() !== t.day) return null;
  return d;
}

/** Go's well-known layout constants by name (time.RFC3339 etc.), for convenience. */
export const GO_LAYOUTS: Record<string, string> = {
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC822: '02 Jan 06 15:04 MST',
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};
