// Matching one resource value against one scalar pattern value: booleans, numbers, null, and
// strings with operators (`>`, `>=`, `<`, `<=`, `!`), alternatives `|`, conjunctions `&`, ranges
// `a-b` / `a!-b`, wildcards `*` `?`, quantities (100Mi, 0.5) and durations (1h30m).
import { parseQuantity } from './quantity.ts';
import { parseDuration } from './duration.ts';
import { wildcardMatch } from './wildcard.ts';
import { isObject } from './jmespath/values.ts';

export type ValueMatcher = (value: unknown) => boolean;

type Op = '' | '>=' | '<=' | '>' | '<' | '!';

const NUM = String.raw`[+-]?(?:\d+(?:\.\d+)?|\.\d+)[A-Za-z]*`;
const IN_RANGE = new RegExp(`^(${NUM})-(${NUM})$`);
const NOT_IN_RANGE = new RegExp(`^(${NUM})!-(${NUM})$`);

function operatorOf(p: string): Op {
  if (p.length < 2) return '';
  if (p.startsWith('>=')) return '>=';
  if (p.startsWith('<=')) return '<=';
  if (p.startsWith('>')) return '>';
  if (p.startsWith('<')) return '<';
  if (p.startsWith('!')) return '!';
  return '';
}

/** Go's convertNumberToString: nil is "0", numbers print plainly. */
function numberText(value: unknown): string | null {
  if (value === null || value === undefined) return '0';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(6);
  return null;
}

function cmp(op: Op, c: number): boolean {
  switch (op) {
    case '': return c === 0;
    case '!': return c !== 0;
    case '>': return c > 0;
    case '<': return c < 0;
    case '>=': return c >= 0;
    default: return c <= 0;
  }
}

function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

/** Go-style string form used for equality/wildcard comparison of scalars. */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toExponential().toUpperCase().replace(/E([+-])(\d)$/, 'E$10$2');
  return null;
}

function compileSingle(p: string): ValueMatcher {
  let m = NOT_IN_RANGE.exec(p);
  if (m) {
    const lo = compileSingle(`< ${m[1]}`);
    const hi = compileSingle(`> ${m[2]}`);
    return (v) => lo(v) || hi(v);
  }
  m = IN_RANGE.exec(p);
  if (m) {
    const lo = compileSingle(`>= ${m[1]}`);
    const hi = compileSingle(`<= ${m[2]}`);
    return (v) => lo(v) && hi(v);
  }
  const op = operatorOf(p);
  const operand = p.slice(op.length).trim();
  const patDuration = parseDuration(operand);
  const patQuantity = parseQuantity(operand);
  return (value) => {
    const text = numberText(value);
    if (text !== null) {
      if (patDuration !== null) {
        const d = parseDuration(text);
        if (d !== null && cmp(op, sign(d - patDuration))) return true;
      }
      if (patQuantity !== null) {
        const q = parseQuantity(text);
        if (q !== null && cmp(op, sign(q - patQuantity))) return true;
      }
    }
    if (op === '' || op === '!') {
      const s = scalarText(value);
      if (s === null) return false;
      const hit = wildcardMatch(operand, s);
      return op === '!' ? !hit : hit;
    }
    return false;
  };
}

function compileString(pattern: string): ValueMatcher {
  const alternatives = pattern.split('|').map((alt) => {
    const parts = alt.trim().split('&').map((c) => compileSingle(c.trim()));
    return parts.length === 1 ? parts[0] : (v: unknown) => parts.every((fn) => fn(v));
  });
  return (value) => {
    if (value === pattern) return true;
    for (const alt of alternatives) if (alt(value)) return true;
    return false;
  };
}

/** Compiles a scalar pattern (string, number, boolean, null, or an object meaning "any object"). */
export function compileValuePattern(pattern: unknown): ValueMatcher {
  if (typeof pattern === 'boolean') return (v) => v === pattern;
  if (typeof pattern === 'number') {
    if (Number.isInteger(pattern)) {
      return (v) => {
        if (typeof v === 'number') return Number.isInteger(v) && v === pattern;
        if (typeof v === 'string') return /^[+-]?\d+$/.test(v.trim()) && Number(v) === pattern;
        return false;
      };
    }
    return (v) => {
      if (typeof v === 'number') return v === pattern;
      if (typeof v === 'string') { const n = Number(v); return v.trim() !== '' && !Number.isNaN(n) && n === pattern; }
      return false;
    };
  }
  if (pattern === null || pattern === undefined) {
    return (v) => v === null || v === undefined || v === 0 || v === '' || v === false;
  }
  if (typeof pattern === 'string') return compileString(pattern);
  if (isObject(pattern)) return (v) => isObject(v);
  return () => false;
}
