// `{{ expression }}` substitution against the evaluation context (request.object, element, context
// entries, values...). A string that is exactly one variable becomes the variable's value (any
// type); otherwise the value is embedded as text. `\{{ ... }}` escapes a variable.
import { search, NotFoundError } from './jmespath/index.ts';
import { embedString, isObject } from './jmespath/values.ts';

export type Context = Record<string, unknown>;

export class SubstitutionError extends Error {
  variable: string;
  constructor(variable: string, message: string) {
    super(message);
    this.variable = variable;
  }
}

// An innermost variable: braces inside are allowed one level deep (JSON literals).
const VAR_RE = /(^|[^\\])(\{\{((?:\{[^{}]*\}|[^{}])*)\}\})/g;
const ESCAPED_RE = /\\(\{\{(?:\{[^{}]*\}|[^{}])*\}\})/g;

export function hasVariables(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasVariables);
  if (isObject(value)) return Object.entries(value).some(([k, v]) => k.includes('{{') || hasVariables(v));
  return false;
}

/** How an unresolvable variable is handled: raise, or become an empty string (preconditions, deny). */
export type Mode = 'strict' | 'lenient';

function resolve(expr: string, ctx: Context, mode: Mode, path: string): unknown {
  try {
    return search(expr, ctx);
  } catch (err) {
    if (mode === 'lenient') return '';
    if (err instanceof NotFoundError) {
      throw new SubstitutionError(expr, `failed to resolve ${expr} at path ${path}: JMESPath query failed: ${err.message}`);
    }
    throw new SubstitutionError(expr, `failed to resolve ${expr} at path ${path}: ${(err as Error).message}`);
  }
}

/** Substitutes the variables of one string. */
export function substituteString(text: string, ctx: Context, mode: Mode = 'strict', path = ''): unknown {
  if (!text.includes('{{')) return text;
  let current: unknown = text;
  for (let guard = 0; guard < 32; guard++) {
    if (typeof current !== 'string') return current;
    const s: string = current;
    VAR_RE.lastIndex = 0;
    const first = VAR_RE.exec(s);
    if (!first) break;
    // Whole string is exactly one variable: keep the value's type.
    if (first.index === 0 && first[1] === '' && first[2].length === s.length) {
      const expr = first[3].trim();
      if (expr.startsWith('@')) return s;
      current = resolve(expr, ctx, mode, path);
      continue;
    }
    VAR_RE.lastIndex = 0;
    let changed = false;
    const next = s.replace(VAR_RE, (_m, pre: string, _whole: string, inner: string) => {
      const expr = inner.trim();
      if (expr.startsWith('@')) return _m;
      changed = true;
      return pre + embedString(resolve(expr, ctx, mode, path));
    });
    current = next;
    if (!changed) break;
  }
  if (typeof current === 'string' && current.includes('\\{{')) current = current.replace(ESCAPED_RE, '$1');
  return current;
}

/** Substitutes variables throughout a JSON value (keys and values). */
export function substituteAll(value: unknown, ctx: Context, mode: Mode = 'strict', path = ''): unknown {
  if (typeof value === 'string') return substituteString(value, ctx, mode, path);
  if (Array.isArray(value)) return value.map((v, i) => substituteAll(v, ctx, mode, `${path}/${i}`));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = k.includes('{{') ? embedString(substituteString(k, ctx, mode, path)) : k;
      out[key] = substituteAll(v, ctx, mode, `${path}/${k}`);
    }
    return out;
  }
  return value;
}

/** Sets `value` at a dotted path ("request.operation") inside the context, creating objects. */
export function setContextValue(ctx: Context, dotted: string, value: unknown): void {
  const parts = splitDotted(dotted);
  let cur: Record<string, unknown> = ctx;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (isObject(next)) {
      const copy = { ...next };
      cur[parts[i]] = copy;
      cur = copy;
    } else {
      const created: Record<string, unknown> = {};
      cur[parts[i]] = created;
      cur = created;
    }
  }
  cur[parts[parts.length - 1]] = value;
}

function splitDotted(s: string): string[] {
  // "a.b" splits; quoted segments ("a.\"b.c\"") keep their dots.
  const out: string[] = [];
  let buf = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') { quoted = !quoted; continue; }
    if (ch === '.' && !quoted) { out.push(buf); buf = ''; continue; }
    buf += ch;
  }
  out.push(buf);
  return out;
}
