// Kubernetes' CEL regex library: find and findAll (matches is built into CEL).
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';

const compiled = new Map<string, RegExp>();

function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    // RE2's inline flags at the start ("(?i)") are JavaScript flags.
    const m = /^\(\?([ims]+)\)/.exec(pattern);
    re = new RegExp(m ? pattern.slice(m[0].length) : pattern, `${m ? m[1] : ''}gu`);
    compiled.set(pattern, re);
  }
  re.lastIndex = 0;
  return re;
}

function findAll(s: string, pattern: string, limit: bigint): string[] {
  if (limit === 0n) return [];
  const out: string[] = [];
  for (const m of s.matchAll(regex(pattern))) {
    out.push(m[0]);
    if (limit > 0n && BigInt(out.length) >= limit) break;
  }
  return out;
}

export function registerRegex(env: CelEnvironment): void {
  env.registerFunction('string.find(string): string', (s: string, p: string) => regex(p).exec(s)?.[0] ?? '');
  env.registerFunction('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p, -1n));
  env.registerFunction('string.findAll(string, int): list<string>', findAll);
}
