// Kubernetes' CEL quantity library: quantity("100Mi") with exact comparison and arithmetic.
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';
import { compareQuantities, parseQuantity } from '../../quantity.ts';

export class CelQuantity {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  get value(): number {
    return parseQuantity(this.text) ?? 0;
  }
}

function quantity(s: string): CelQuantity {
  if (parseQuantity(s) === null) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${s}`);
  return new CelQuantity(s);
}

const cmp = (a: CelQuantity, b: CelQuantity) => compareQuantities(a.text, b.text) ?? 0;
const plus = (a: CelQuantity, b: number) => new CelQuantity(String(a.value + b));

export function registerQuantity(env: CelEnvironment): void {
  env.registerType('Quantity', CelQuantity);
  env.registerFunction('quantity(string): Quantity', quantity);
  env.registerFunction('isQuantity(string): bool', (s: string) => parseQuantity(s) !== null);
  env.registerFunction('Quantity.sign(): int', (q: CelQuantity) => BigInt(Math.sign(q.value)));
  env.registerFunction('Quantity.isInteger(): bool', (q: CelQuantity) => Number.isInteger(q.value));
  env.registerFunction('Quantity.asInteger(): int', (q: CelQuantity) => {
    if (!Number.isInteger(q.value)) throw new Error(`cannot convert value to integer: ${q.text}`);
    return BigInt(q.value);
  });
  env.registerFunction('Quantity.asApproximateFloat(): double', (q: CelQuantity) => q.value);
  env.registerFunction('Quantity.compareTo(Quantity): int', (a: CelQuantity, b: CelQuantity) => BigInt(cmp(a, b)));
  env.registerFunction('Quantity.isLessThan(Quantity): bool', (a: CelQuantity, b: CelQuantity) => cmp(a, b) < 0);
  env.registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: CelQuantity, b: CelQuantity) => cmp(a, b) > 0);
  env.registerFunction('Quantity.add(Quantity): Quantity', (a: CelQuantity, b: CelQuantity) => plus(a, b.value));
  env.registerFunction('Quantity.add(int): Quantity', (a: CelQuantity, b: bigint) => plus(a, Number(b)));
  env.registerFunction('Quantity.sub(Quantity): Quantity', (a: CelQuantity, b: CelQuantity) => plus(a, -b.value));
  env.registerFunction('Quantity.sub(int): Quantity', (a: CelQuantity, b: bigint) => plus(a, -Number(b)));
}
