// Equality of two JSON values as the API server would store them: object key order does not
// matter and a member whose value is undefined is absent (a JSON round trip drops it). Walks the
// values instead of serialising them, because drift detection asks this of every policy field.

type Members = Record<string, unknown>;

function isMembers(value: unknown): value is Members {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function definedKeys(value: Members): string[] {
  return Object.keys(value).filter((key) => value[key] !== undefined);
}

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  if (!isMembers(a) || !isMembers(b)) return false;
  const keys = definedKeys(a);
  return keys.length === definedKeys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
}
