// CEL's string formatting extension as Kubernetes enables it: "%s has %d".format([a, b]).
// Verbs: %s, %d, %f (with precision), %e, %b, %o, %x, %X and %%.
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';
import { celToText } from '../values.ts';

function verb(v: string, precision: number | undefined, arg: unknown): string {
  switch (v) {
    case 's': return celToText(arg);
    case 'd':
      if (typeof arg !== 'bigint' && !(typeof arg === 'number' && Number.isInteger(arg))) throw new Error(`error during formatting: decimal clause can only be used on integers, was given ${typeof arg}`);
      return String(arg);
    case 'f': return Number(arg).toFixed(precision ?? 6);
    case 'e': return Number(arg).toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
    case 'b': return BigInt(arg as bigint).toString(2);
    case 'o': return BigInt(arg as bigint).toString(8);
    case 'x': return typeof arg === 'string' ? Buffer.from(arg).toString('hex') : BigInt(arg as bigint).toString(16);
    case 'X': return (typeof arg === 'string' ? Buffer.from(arg).toString('hex') : BigInt(arg as bigint).toString(16)).toUpperCase();
    default: throw new Error(`could not parse formatting clause: unrecognized formatting clause "${v}"`);
  }
}

export function format(template: string, args: unknown[]): string {
  let next = 0;
  return template.replace(/%(?:\.(\d+))?([a-zA-Z%])/g, (_m, precision: string | undefined, v: string) => {
    if (v === '%') return '%';
    if (next >= args.length) throw new Error(`index ${next} out of range`);
    return verb(v, precision === undefined ? undefined : Number(precision), args[next++]);
  });
}

export function registerFormat(env: CelEnvironment): void {
  env.registerFunction('string.format(list): string', format);
}
