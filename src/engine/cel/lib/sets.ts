// Kubernetes' CEL sets library: sets.contains, sets.equivalent and sets.intersects on lists.
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';
import { celEqual } from './lists.ts';

class SetsNamespace {}

const has = (list: unknown[], x: unknown) => list.some((y) => celEqual(x, y));

export function registerSets(env: CelEnvironment): void {
  env.registerType('SetsNamespace', SetsNamespace);
  env.registerConstant('sets', 'SetsNamespace', new SetsNamespace());
  env.registerFunction('SetsNamespace.contains(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)));
  env.registerFunction('SetsNamespace.equivalent(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)) && a.every((x) => has(b, x)));
  env.registerFunction('SetsNamespace.intersects(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) => a.some((x) => has(b, x)));
}
