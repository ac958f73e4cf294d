// Kyverno's custom JMESPath functions (strings, regex, arithmetic on numbers, quantities and
// durations, time, encoding, label matching, ...).
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { JMESPathError } from './lexer.ts';
import type { JFunction } from './interpreter.ts';
import { arity, argError, arr, num, obj, str } from './functions.ts';
import { isObject, typeOf, deepEqual } from './values.ts';
import { parseQuantity, quantitySuffix, formatQuantity } from '../quantity.ts';
import { parseDuration, formatDuration } from '../duration.ts';
import { wildcardMatch } from '../wildcard.ts';
import { parseGoTime, GO_LAYOUTS } from './go-time.ts';
import { imageNormalize, isExternalUrl, x509Decode, randomFromPattern } from './kyverno-extra.ts';

type Operand = { kind: 'number'; v: number } | { kind: 'quantity'; v: number; suffix: string } | { kind: 'duration'; v: number };

/** Kyverno's operand typing: numbers are scalars; strings are quantities first, then durations. */
function operand(fn: string, v: unknown): Operand {
  if (typeof v === 'number') return { kind: 'number', v };
  if (typeof v === 'string') {
    const q = parseQuantity(v);
    if (q !== null) return { kind: 'quantity', v: q, suffix: quantitySuffix(v) };
    const d = parseDuration(v);
    if (d !== null) return { kind: 'duration', v: d };
  }
  return argError(fn, `invalid operands: expected number, quantity or duration, got ${typeOf(v)} ${JSON.stringify(v)}`);
}

function render(kind: Operand['kind'], v: number, suffix = ''): unknown {
  if (kind === 'number') return v;
  if (kind === 'duration') return formatDuration(v);
  return formatQuantity(v, suffix);
}

function mismatch(fn: string): never {
  throw new JMESPathError(`JMESPath function '${fn}': types mismatch`);
}

function zero(fn: string): never {
  throw new JMESPathError(`JMESPath function '${fn}': Zero divisor passed`);
}

function integral(fn: string, ...xs: number[]): void {
  for (const x of xs) if (!Number.isInteger(x)) throw new JMESPathError(`JMESPath function '${fn}': Non-integer argument(s) passed for modulo`);
}

/**
 * Kyverno's arithmetic on scalars, quantities and durations (Kyverno 1.9+ rules):
 * + and - need two operands of the same kind; * takes a scalar and anything; / divides a
 * quantity or duration by its own kind (giving a scalar) or by a scalar; % needs the same kind.
 */
export function kyvernoArithmetic(fn: string, x: unknown, y: unknown): unknown {
  const a = operand(fn, x);
  const b = operand(fn, y);
  const sfx = (o: Operand): string => (o.kind === 'quantity' ? o.suffix : '');
  switch (fn) {
    case 'add':
    case 'subtract': {
      if (a.kind !== b.kind) mismatch(fn);
      const v = fn === 'add' ? a.v + b.v : a.v - b.v;
      return render(a.kind, v, sfx(a) || sfx(b));
    }
    case 'multiply':
      if (a.kind === 'number') return render(b.kind, a.v * b.v, sfx(b));
      if (b.kind === 'number') return render(a.kind, a.v * b.v, sfx(a));
      return mismatch(fn);
    case 'divide':
      if (b.v === 0 && (b.kind === a.kind || b.kind === 'number')) zero(fn);
      if (a.kind === b.kind) return a.v / b.v;
      if (b.kind === 'number') return render(a.kind, a.v / b.v, sfx(a));
      return mismatch(fn);
    default: {
      if (a.kind !== b.kind) mismatch(fn);
      if (a.kind !== 'duration') integral(fn, a.v, b.v);
      if (b.v === 0) zero(fn);
      return render(a.kind, a.v % b.v, sfx(a));
    }
  }
}

function arithmetic(fn: string): JFunction {
  return (args) => {
    arity(fn, args, 2);
    return kyvernoArithmetic(fn, args[0], args[1]);
  };
}

const OPERATOR_FUNCTION: Record<string, string> = { plus: 'add', minus: 'subtract', multiply: 'multiply', divide: 'divide', modulo: 'modulo' };

/**
 * The JMESPath operators on non-numbers: quantity and duration strings follow the same rules as
 * add(), subtract(), multiply(), divide() and modulo(); anything else gives null.
 */
export function operatorArithmetic(op: string, a: unknown, b: unknown): unknown {
  const fn = OPERATOR_FUNCTION[op];
  if (!fn) return undefined;
  const ok = (v: unknown): boolean => typeof v === 'number' || (typeof v === 'string' && (parseQuantity(v) !== null || parseDuration(v) !== null));
  if (!ok(a) || !ok(b)) return undefined;
  return kyvernoArithmetic(fn, a, b);
}

function goRegex(fn: string, pattern: string): RegExp {
  let src = pattern;
  let flags = '';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    for (const c of m[1]) if (c !== 'U' && !flags.includes(c)) flags += c;
  }
  src = src.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(src, flags);
  } catch (err) {
    return argError(fn, `invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

function goReplacement(repl: string): string {
  return repl.replace(/\$\{(\w+)\}/g, (_m, name: string) => (/^\d+$/.test(name) ? `$${name}` : `$<${name}>`));
}

function stringish(fn: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return argError(fn, `expected string or number, got ${typeOf(v)}`);
}

function parseTime(fn: string, layout: string, value: string): Date {
  // An empty layout means RFC 3339, as in Kyverno.
  const d = parseGoTime(layout === '' ? GO_LAYOUTS.RFC3339Nano : layout, value) ?? (layout === '' ? parseGoTime(GO_LAYOUTS.RFC3339, value) : null);
  if (!d || Number.isNaN(d.getTime())) return argError(fn, `cannot parse time ${JSON.stringify(value)} with layout ${JSON.stringify(layout || GO_LAYOUTS.RFC3339)}`);
  return d;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

function semverParts(v: string): number[] | null {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?(?:[-+].*)?$/.exec(v.trim());
  if (!m) return null;
  return [m[1], m[2], m[3]].map((p) => (p === undefined || p === 'x' || p === '*' ? -1 : Number(p)));
}

function semverCmp(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    if (b[i] === -1) return 0;
    const d = (a[i] === -1 ? 0 : a[i]) - b[i];
    if (d !== 0) return d;
  }
  return 0;
}

function semverSatisfies(version: string, range: string): boolean {
  const v = semverParts(version);
  if (!v) throw new JMESPathError(`semver_compare(): invalid version ${JSON.stringify(version)}`);
  return range.split('||').some((alt) =>
    alt.trim().split(/\s+/).filter(Boolean).every((cond) => {
      const m = /^(>=|<=|!=|==|=|>|<)?\s*(.+)$/.exec(cond);
      if (!m) return false;
      const target = semverParts(m[2]);
      if (!target) throw new JMESPathError(`semver_compare(): invalid range ${JSON.stringify(range)}`);
      const c = semverCmp(v, target);
      switch (m[1]) {
        case '>=': return c >= 0;
        case '<=': return c <= 0;
        case '>': return c > 0;
        case '<': return c < 0;
        case '!=': return c !== 0;
        default: return c === 0;
      }
    }),
  );
}

export function kyvernoFunctions(): Map<string, JFunction> {
  const f = new Map<string, JFunction>();
  f.set('compare', (a) => {
    arity('compare', a, 2);
    const x = str('compare', a[0]);
    const y = str('compare', a[1]);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  f.set('equal_fold', (a) => { arity('equal_fold', a, 2); return str('equal_fold', a[0]).toLowerCase() === str('equal_fold', a[1]).toLowerCase(); });
  f.set('replace', (a) => {
    arity('replace', a, 4);
    const s = str('replace', a[0]);
    const oldS = str('replace', a[1]);
    const newS = str('replace', a[2]);
    let n = num('replace', a[3]);
    if (n < 0) return s.split(oldS).join(newS);
    let out = '';
    let rest = s;
    while (n-- > 0) {
      const i = rest.indexOf(oldS);
      if (i < 0) break;
      out += rest.slice(0, i) + newS;
      rest = rest.slice(i + oldS.length);
      if (oldS === '') { out += rest.slice(0, 1); rest = rest.slice(1); }
    }
    return out + rest;
  });
  f.set('replace_all', (a) => { arity('replace_all', a, 3); return str('replace_all', a[0]).split(str('replace_all', a[1])).join(str('replace_all', a[2])); });
  f.set('to_upper', (a) => { arity('to_upper', a, 1); return str('to_upper', a[0]).toUpperCase(); });
  f.set('to_lower', (a) => { arity('to_lower', a, 1); return str('to_lower', a[0]).toLowerCase(); });
  f.set('trim', (a) => {
    arity('trim', a, 2);
    const s = str('trim', a[0]);
    const cut = new Set([...str('trim', a[1])]);
    const chars = [...s];
    let i = 0;
    let j = chars.length;
    while (i < j && cut.has(chars[i])) i++;
    while (j > i && cut.has(chars[j - 1])) j--;
    return chars.slice(i, j).join('');
  });
  f.set('trim_prefix', (a) => {
    arity('trim_prefix', a, 2);
    const s = str('trim_prefix', a[0]);
    const p = str('trim_prefix', a[1]);
    return s.startsWith(p) ? s.slice(p.length) : s;
  });
  f.set('split', (a) => {
    arity('split', a, 2);
    const s = str('split', a[0]);
    const sep = str('split', a[1]);
    return sep === '' ? [...s] : s.split(sep);
  });
  f.set('truncate', (a) => {
    arity('truncate', a, 2);
    const s = str('truncate', a[0]);
    const n = Math.max(0, Math.floor(num('truncate', a[1])));
    return [...s].slice(0, n).join('');
  });
  f.set('regex_match', (a) => {
    arity('regex_match', a, 2);
    return goRegex('regex_match', str('regex_match', a[0])).test(stringish('regex_match', a[1]));
  });
  f.set('pattern_match', (a) => {
    arity('pattern_match', a, 2);
    return wildcardMatch(str('pattern_match', a[0]), stringish('pattern_match', a[1]));
  });
  f.set('regex_replace_all', (a) => {
    arity('regex_replace_all', a, 3);
    const re = goRegex('regex_replace_all', str('regex_replace_all', a[0]));
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
    return stringish('regex_replace_all', a[1]).replace(g, goReplacement(stringish('regex_replace_all', a[2])));
  });
  f.set('regex_replace_all_literal', (a) => {
    arity('regex_replace_all_literal', a, 3);
    const re = goRegex('regex_replace_all_literal', str('regex_replace_all_literal', a[0]));
    const g = new RegExp(re.source, re.flags + 'g');
    const repl = stringish('regex_replace_all_literal', a[2]);
    return stringish('regex_replace_all_literal', a[1]).replace(g, () => repl);
  });
  f.set('label_match', (a) => {
    arity('label_match', a, 2);
    const sel = obj('label_match', a[0]);
    const labels = obj('label_match', a[1]);
    return Object.entries(sel).every(([k, v]) => labels[k] === v);
  });
  f.set('add', arithmetic('add'));
  f.set('subtract', arithmetic('subtract'));
  f.set('multiply', arithmetic('multiply'));
  f.set('divide', arithmetic('divide'));
  f.set('modulo', arithmetic('modulo'));
  f.set('round', (a) => {
    arity('round', a, 2);
    const p = 10 ** num('round', a[1]);
    return Math.round(num('round', a[0]) * p) / p;
  });
  f.set('sum', (a) => {
    arity('sum', a, 1);
    const xs = arr('sum', a[0]);
    if (!xs.length) return 0;
    const ops = xs.map((x) => operand('sum', x));
    const kind = ops[0].kind;
    let total = 0;
    for (const o of ops) {
      if (o.kind !== kind) argError('sum', 'mixed operand types');
      total += o.v;
    }
    return render(kind, total, ops[0].kind === 'quantity' ? ops[0].suffix : '');
  });
  f.set('base64_decode', (a) => { arity('base64_decode', a, 1); return Buffer.from(str('base64_decode', a[0]), 'base64').toString('utf8'); });
  f.set('base64_encode', (a) => { arity('base64_encode', a, 1); return Buffer.from(str('base64_encode', a[0]), 'utf8').toString('base64'); });
  f.set('sha256', (a) => { arity('sha256', a, 1); return createHash('sha256').update(str('sha256', a[0])).digest('hex'); });
  f.set('path_canonicalize', (a) => {
    arity('path_canonicalize', a, 1);
    const p = str('path_canonicalize', a[0]);
    const abs = p.startsWith('/');
    const parts: string[] = [];
    for (const seg of p.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') { if (parts.length && parts[parts.length - 1] !== '..') parts.pop(); else if (!abs) parts.push('..'); continue; }
      parts.push(seg);
    }
    const out = (abs ? '/' : '') + parts.join('/');
    return out === '' ? '.' : out;
  });
  f.set('parse_json', (a) => {
    arity('parse_json', a, 1);
    try { return JSON.parse(str('parse_json', a[0])); } catch (err) { return argError('parse_json', (err as Error).message); }
  });
  f.set('parse_yaml', (a) => {
    arity('parse_yaml', a, 1);
    try { return parseYaml(str('parse_yaml', a[0])) ?? null; } catch (err) { return argError('parse_yaml', (err as Error).message); }
  });
  f.set('to_boolean', (a) => {
    arity('to_boolean', a, 1);
    const s = str('to_boolean', a[0]).trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
    return argError('to_boolean', `cannot convert ${JSON.stringify(a[0])} to boolean`);
  });
  f.set('items', (a) => {
    arity('items', a, 3);
    const kn = str('items', a[1]);
    const vn = str('items', a[2]);
    if (Array.isArray(a[0])) return a[0].map((v, i) => ({ [kn]: i, [vn]: v }));
    const o = obj('items', a[0]);
    return Object.keys(o).sort().map((k) => ({ [kn]: k, [vn]: o[k] }));
  });
  f.set('object_from_lists', (a) => {
    arity('object_from_lists', a, 2);
    const ks = arr('object_from_lists', a[0]);
    const vs = arr('object_from_lists', a[1]);
    const out: Record<string, unknown> = {};
    ks.forEach((k, i) => { out[str('object_from_lists', k)] = i < vs.length ? vs[i] : null; });
    return out;
  });
  f.set('lookup', (a) => {
    arity('lookup', a, 2);
    if (isObject(a[0])) return a[0][str('lookup', a[1])] ?? null;
    if (Array.isArray(a[0])) {
      const i = num('lookup', a[1]);
      return Number.isInteger(i) && i >= 0 && i < a[0].length ? a[0][i] : null;
    }
    return argError('lookup', 'expected object or array');
  });
  f.set('semver_compare', (a) => { arity('semver_compare', a, 2); return semverSatisfies(str('semver_compare', a[0]), str('semver_compare', a[1])); });
  f.set('time_now', () => rfc3339(new Date()));
  f.set('time_now_utc', () => rfc3339(new Date()));
  f.set('time_utc', (a) => { arity('time_utc', a, 1); return rfc3339(parseTime('time_utc', '', str('time_utc', a[0]))); });
  f.set('time_parse', (a) => { arity('time_parse', a, 2); return rfc3339(parseTime('time_parse', str('time_parse', a[0]), stringish('time_parse', a[1]))); });
  f.set('time_since', (a) => {
    arity('time_since', a, 3);
    const layout = str('time_since', a[0]);
    const t1 = parseTime('time_since', layout, str('time_since', a[1]));
    const t2s = str('time_since', a[2]);
    const t2 = t2s === '' ? new Date() : parseTime('time_since', layout, t2s);
    return formatDuration((t2.getTime() - t1.getTime()) / 1000);
  });
  f.set('time_diff', (a) => {
    arity('time_diff', a, 2);
    const t1 = parseTime('time_diff', '', str('time_diff', a[0]));
    const t2 = parseTime('time_diff', '', str('time_diff', a[1]));
    return formatDuration((t2.getTime() - t1.getTime()) / 1000);
  });
  f.set('time_add', (a) => {
    arity('time_add', a, 2);
    const t = parseTime('time_add', '', str('time_add', a[0]));
    const d = parseDuration(str('time_add', a[1]));
    if (d === null) return argError('time_add', 'invalid duration');
    return rfc3339(new Date(t.getTime() + d * 1000));
  });
  f.set('time_before', (a) => { arity('time_before', a, 2); return parseTime('time_before', '', str('time_before', a[0])) < parseTime('time_before', '', str('time_before', a[1])); });
  f.set('time_after', (a) => { arity('time_after', a, 2); return parseTime('time_after', '', str('time_after', a[0])) > parseTime('time_after', '', str('time_after', a[1])); });
  f.set('time_between', (a) => {
    arity('time_between', a, 3);
    const t = parseTime('time_between', '', str('time_between', a[0]));
    return t > parseTime('time_between', '', str('time_between', a[1])) && t < parseTime('time_between', '', str('time_between', a[2]));
  });
  f.set('time_truncate', (a) => {
    arity('time_truncate', a, 2);
    const t = parseTime('time_truncate', '', str('time_truncate', a[0]));
    const d = parseDuration(str('time_truncate', a[1]));
    if (d === null || d <= 0) return rfc3339(t);
    const ms = d * 1000;
    return rfc3339(new Date(Math.floor(t.getTime() / ms) * ms));
  });
  f.set('time_to_cron', (a) => {
    arity('time_to_cron', a, 1);
    const t = parseTime('time_to_cron', '', str('time_to_cron', a[0]));
    return `${t.getUTCMinutes()} ${t.getUTCHours()} ${t.getUTCDate()} ${t.getUTCMonth() + 1} ${t.getUTCDay()}`;
  });
  f.set('image_normalize', (a) => { arity('image_normalize', a, 1); return imageNormalize(str('image_normalize', a[0])); });
  f.set('is_external_url', (a) => { arity('is_external_url', a, 1); return isExternalUrl(str('is_external_url', a[0])); });
  f.set('x509_decode', (a) => { arity('x509_decode', a, 1); return x509Decode(str('x509_decode', a[0])); });
  f.set('random', (a) => { arity('random', a, 1); return randomFromPattern(str('random', a[0])); });
  f.set('equal', (a) => { arity('equal', a, 2); return deepEqual(a[0], a[1]); });
  return f;
}
