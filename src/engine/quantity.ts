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

/** Formats a number back as a quantity, preferring the given suffix when it divides evenly. */
export function formatQuantity(value: number, preferSuffix = ''): string {
  const mul = SUFFIX[preferSuffix] ?? 1;
  const scaled = value / mul;
  if (preferSuffix && Number.isFinite(scaled) && Math.abs(scaled - Math.round(scaled)) < 1e-9) {
    return `${Math.round(scaled)}${preferSuffix}`;
  }
  if (Number.isInteger(value)) return String(value);
  const milli = value * 1000;
  if (Math.abs(milli - Math.round(milli)) < 1e-9) return `${Math.round(milli)}m`;
  return String(value);
}
