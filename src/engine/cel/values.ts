// Moving values between Kubernetes JSON and CEL: JSON integers become CEL ints (bigint) so that
// `port + 1` and `size(x) == replicas` type-check the way they do in the API server, and CEL
// results come back as plain JSON for messages and reports.

/** A JSON document as CEL sees it: whole numbers as bigint, everything else unchanged. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

const converted = new WeakMap<object, unknown>();

/** toCel for a resource that is evaluated by several policies: converted once. */
export function toCelCached(value: Record<string, unknown>): unknown {
  let out = converted.get(value);
  if (out === undefined) {
    out = toCel(value);
    converted.set(value, out);
  }
  return out;
}

/** A CEL value as text for messages (what `string(x)` would print, lists and maps as JSON). */
export function celToText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(fromCel(value)) ?? String(value);
}

/** A CEL value as plain JSON (bigint → number, Map → object). */
export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value !== null && typeof value === 'object') {
    if (Object.getPrototypeOf(value) !== Object.prototype) return String(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromCel(v);
    return out;
  }
  return value;
}
