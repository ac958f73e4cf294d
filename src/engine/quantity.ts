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
