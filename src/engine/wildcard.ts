// Glob matching with `*` (any run of characters, possibly empty) and `?` (exactly one character).

const compiled = new Map<string, RegExp | null>();

export function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?');
}

/** True when `value` matches the glob `pattern`. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!hasWildcard(pattern)) return pattern === value;
  if (pattern === '*') return true;
  let re = compiled.get(pattern);
  if (re === undefined) {
    let src = '^';
    for (const ch of pattern) {
      if (ch === '*') src += '[\\s\\S]*';
      else if (ch === '?') src += '[\\s\\S]';
      else src += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(src + '$', 'u');
    if (compiled.size > 10000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re!.test(value);
}

/** True when any of the patterns matches. */
export function matchesAny(patterns: readonly string[], value: string): boolean {
  for (const p of patterns) if (wildcardMatch(p, value)) return true;
  return false;
}
