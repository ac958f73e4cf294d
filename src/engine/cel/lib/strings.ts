// Kubernetes' CEL string extensions the CEL library does not already have (it ships contains,
// startsWith, endsWith, matches, lowerAscii, upperAscii, trim, indexOf, lastIndexOf, substring,
// split and join): charAt, replace, reverse and strings.quote.
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';

class StringsNamespace {}

function codePoints(s: string): string[] {
  return Array.from(s);
}

function replaceN(s: string, from: string, to: string, n: bigint): string {
  if (n === 0n) return s;
  const parts = s.split(from);
  if (n < 0n || BigInt(parts.length - 1) <= n) return parts.join(to);
  const k = Number(n);
  return parts.slice(0, k + 1).join(to) + from + parts.slice(k + 1).join(from);
}

export function registerStrings(env: CelEnvironment): void {
  env.registerType('StringsNamespace', StringsNamespace);
  env.registerConstant('strings', 'StringsNamespace', new StringsNamespace());
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const cps = codePoints(s);
    if (i < 0n || i > BigInt(cps.length)) throw new Error(`index out of range: ${i}`);
    return cps[Number(i)] ?? '';
  });
  env.registerFunction('string.replace(string, string): string', (s: string, from: string, to: string) => replaceN(s, from, to, -1n));
  env.registerFunction('string.replace(string, string, int): string', replaceN);
  env.registerFunction('string.reverse(): string', (s: string) => codePoints(s).reverse().join(''));
  env.registerFunction('StringsNamespace.quote(string): string', (_ns: StringsNamespace, s: string) => JSON.stringify(s));
}
