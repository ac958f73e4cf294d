// Kubernetes resource quantities ("100Mi", "0.5", "250m", "1e3") as plain numbers.

const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const QUANTITY_RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Parses a quantity; returns null when the text is not one. */
export function parseQuantity(text: string): number | null {
  const s = text.trim();
  const m = QUANTITY_RE.exec(s);
  if (!m) return null;
  const base = Number(m[1]);
  if (Number.isNaN(base)) return null;
  if (m[2]) return Number(m[1] + m[2]);
  return base * SUFFIX[m[3] ?? ''];
}

const DECIMAL_EXP: Record<string, number> = { '': 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXP: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/**
 * A quantity as an exact rational `num / 10^scale` (arbitrary precision, like Kubernetes'
 * inf.Dec-backed Quantity); null when the text is not a quantity.
 */
function exactQuantity(text: string): { num: bigint; scale: number } | null {
  const m = QUANTITY_RE.exec(text.trim());
  if (!m) return null;
  let mant = m[1];
  let sign = 1n;
  if (mant[0] === '+' || mant[0] === '-') { if (mant[0] === '-') sign = -1n; mant = mant.slice(1); }
  const dot = mant.indexOf('.');
  const digits = (dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1)) || '0';
  let scale = dot < 0 ? 0 : mant.length - dot - 1;
  let num = sign * BigInt(digits);
  if (m[2]) scale -= Number(m[2].slice(1));
  else if (m[3] && m[3] in BINARY_EXP) num *= 2n ** BigInt(BINARY_EXP[m[3]]);
  else scale -= DECIMAL_EXP[m[3] ?? ''];
  if (Math.abs(scale) > 1000) return null;
  return { num, scale };
}

/**
 * Compares two quantity strings exactly (-1, 0, 1), or null when either is not a quantity.
 * Float parsing loses digits on long numbers (an RSA modulus as a decimal string); this does not.
 */
export function compareQuantities(a: string, b: string): number | null {
  const x = exactQuantity(a);
  const y = exactQuantity(b);
  if (!x || !y) return null;
  const scale = Math.max(x.scale, y.scale);
  const xa = x.num * 10n ** BigInt(scale - x.scale);
  const ya = y.num * 10n ** BigInt(scale - y.scale);
  return xa === ya ? 0 : xa < ya ? -1 : 1;
}

/** The suffix of a quantity string ("Mi" for "10Mi"), or '' for none. */
export function quantitySuffix(text: string): string {
  const m = QUANTITY_RE.exec(text.trim());
  return m?.[3] ?? '';
}

/** Formats a number as a canonical quantity in the binary (Ki, Mi...) or decimal (m, k, M...) family of `likeSuffix`. */
export function formatQuantity(value: number, likeSuffix = ''): string {
  const binary = /i$/.test(likeSuffix);
  const units: Array<[string, number]> = binary
    ? [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10], ['', 1]]
    : [['E', 1e18], ['P', 1e15], ['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3], ['', 1], ['m', 1e-3], ['u', 1e-6], ['n', 1e-9]];
  if (value === 0) return '0';
  for (const [suffix, mul] of units) {
    const scaled = value / mul;
    if (Math.abs(scaled) >= 1 && Math.abs(scaled - Math.round(scaled)) < 1e-9) return `${Math.round(scaled)}${suffix}`;
  }
  if (binary) return formatQuantity(value, '');
  return String(value);
}
