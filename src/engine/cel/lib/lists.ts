// Kubernetes' CEL list library: isSorted, sum, min, max, indexOf and lastIndexOf.
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = typeof a === 'bigint' ? a : Number(a);
  const y = typeof b === 'bigint' ? b : Number(b);
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
  const nx = Number(x);
  const ny = Number(y);
  return nx < ny ? -1 : nx > ny ? 1 : 0;
}

function equal(a: unknown, b: unknown): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return Number(a) === Number(b);
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) === JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
  return a === b;
}

function extreme(list: unknown[], sign: number): unknown {
  if (list.length === 0) throw new Error('min/max of an empty list');
  return list.reduce((best, x) => (compare(x, best) * sign > 0 ? x : best));
}

export function registerLists(env: CelEnvironment): void {
  env.registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || compare(l[i - 1], x) <= 0));
  env.registerFunction('list.sum(): dyn', (l: unknown[]) => {
    if (l.length === 0) return 0n;
    if (l.every((x) => typeof x === 'bigint')) return (l as bigint[]).reduce((a, b) => a + b, 0n);
    return l.reduce((a: number, b) => a + Number(b), 0);
  });
  env.registerFunction('list.min(): dyn', (l: unknown[]) => extreme(l, -1));
  env.registerFunction('list.max(): dyn', (l: unknown[]) => extreme(l, 1));
  env.registerFunction('list.indexOf(dyn): int', (l: unknown[], x: unknown) => BigInt(l.findIndex((y) => equal(x, y))));
  env.registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], x: unknown) => {
    for (let i = l.length - 1; i >= 0; i--) if (equal(x, l[i])) return BigInt(i);
    return -1n;
  });
}

export { equal as celEqual };
