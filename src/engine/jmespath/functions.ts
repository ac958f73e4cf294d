// The standard JMESPath built-in functions.
import { JMESPathError } from './lexer.ts';
import { isExpRef } from './interpreter.ts';
import type { ExpRef, Interpreter, JFunction } from './interpreter.ts';
import { deepEqual, isObject, typeOf } from './values.ts';

export function argError(fn: string, msg: string): never {
  throw new JMESPathError(`invalid value for ${fn}(): ${msg}`);
}

export function arity(fn: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw new JMESPathError(`invalid arity for ${fn}(): expected ${min === max ? min : `${min}..${max}`}, got ${args.length}`);
  }
}

export function str(fn: string, v: unknown): string {
  if (typeof v !== 'string') argError(fn, `expected string, got ${typeOf(v)}`);
  return v;
}
export function num(fn: string, v: unknown): number {
  if (typeof v !== 'number') argError(fn, `expected number, got ${typeOf(v)}`);
  return v;
}
export function arr(fn: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) argError(fn, `expected array, got ${typeOf(v)}`);
  return v;
}
export function obj(fn: string, v: unknown): Record<string, unknown> {
  if (!isObject(v)) argError(fn, `expected object, got ${typeOf(v)}`);
  return v;
}
function ref(fn: string, v: unknown): ExpRef {
  if (!isExpRef(v)) argError(fn, 'expected expression reference');
  return v;
}
function applyRef(r: ExpRef, v: unknown): unknown {
  const out = r.interp.soft(r.expref, v);
  return out === undefined ? null : out;
}

function sortKey(fn: string, values: unknown[]): 'number' | 'string' {
  let kind: 'number' | 'string' | null = null;
  for (const v of values) {
    const t = typeof v;
    if (t !== 'number' && t !== 'string') argError(fn, `expected numbers or strings, got ${typeOf(v)}`);
    if (kind === null) kind = t as 'number' | 'string';
    else if (kind !== t) argError(fn, 'mixed types');
  }
  return kind ?? 'number';
}

function cmpValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function builtinFunctions(): Map<string, JFunction> {
  const f = new Map<string, JFunction>();
  f.set('abs', (a) => { arity('abs', a, 1); return Math.abs(num('abs', a[0])); });
  f.set('avg', (a) => {
    arity('avg', a, 1);
    const xs = arr('avg', a[0]).map((x) => num('avg', x));
    return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
  });
  f.set('ceil', (a) => { arity('ceil', a, 1); return Math.ceil(num('ceil', a[0])); });
  f.set('floor', (a) => { arity('floor', a, 1); return Math.floor(num('floor', a[0])); });
  f.set('contains', (a) => {
    arity('contains', a, 2);
    if (typeof a[0] === 'string') return typeof a[1] === 'string' && a[0].includes(a[1]);
    return arr('contains', a[0]).some((x) => deepEqual(x, a[1]));
  });
  f.set('ends_with', (a) => { arity('ends_with', a, 2); return str('ends_with', a[0]).endsWith(str('ends_with', a[1])); });
  f.set('starts_with', (a) => { arity('starts_with', a, 2); return str('starts_with', a[0]).startsWith(str('starts_with', a[1])); });
  f.set('join', (a) => {
    arity('join', a, 2);
    const sep = str('join', a[0]);
    return arr('join', a[1]).map((x) => str('join', x)).join(sep);
  });
  f.set('keys', (a) => { arity('keys', a, 1); return Object.keys(obj('keys', a[0])); });
  f.set('values', (a) => { arity('values', a, 1); return Object.values(obj('values', a[0])); });
  f.set('length', (a) => {
    arity('length', a, 1);
    const v = a[0];
    if (typeof v === 'string') return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (isObject(v)) return Object.keys(v).length;
    return argError('length', `expected string, array or object, got ${typeOf(v)}`);
  });
  f.set('map', (a) => {
    arity('map', a, 2);
    const r = ref('map', a[0]);
    return arr('map', a[1]).map((x) => applyRef(r, x));
  });
  f.set('max', (a) => {
    arity('max', a, 1);
    const xs = arr('max', a[0]);
    if (!xs.length) return null;
    sortKey('max', xs);
    return xs.reduce((m, x) => (cmpValues(x, m) > 0 ? x : m));
  });
  f.set('min', (a) => {
    arity('min', a, 1);
    const xs = arr('min', a[0]);
    if (!xs.length) return null;
    sortKey('min', xs);
    return xs.reduce((m, x) => (cmpValues(x, m) < 0 ? x : m));
  });
  const by = (name: string, pick: (c: number) => boolean): JFunction => (a) => {
    arity(name, a, 2);
    const xs = arr(name, a[0]);
    const r = ref(name, a[1]);
    if (!xs.length) return null;
    const keys = xs.map((x) => applyRef(r, x));
    sortKey(name, keys);
    let best = 0;
    for (let i = 1; i < xs.length; i++) if (pick(cmpValues(keys[i], keys[best]))) best = i;
    return xs[best];
  };
  f.set('max_by', by('max_by', (c) => c > 0));
  f.set('min_by', by('min_by', (c) => c < 0));
  f.set('merge', (a) => {
    const out: Record<string, unknown> = {};
    for (const o of a) Object.assign(out, obj('merge', o));
    return out;
  });
  f.set('not_null', (a) => {
    for (const v of a) if (v !== null && v !== undefined) return v;
    return null;
  });
  f.set('reverse', (a) => {
    arity('reverse', a, 1);
    if (typeof a[0] === 'string') return [...a[0]].reverse().join('');
    return [...arr('reverse', a[0])].reverse();
  });
  f.set('sort', (a) => {
    arity('sort', a, 1);
    const xs = [...arr('sort', a[0])];
    sortKey('sort', xs);
    return xs.sort(cmpValues);
  });
  f.set('sort_by', (a) => {
    arity('sort_by', a, 2);
    const xs = arr('sort_by', a[0]);
    const r = ref('sort_by', a[1]);
    const keyed = xs.map((x, i) => ({ x, i, k: applyRef(r, x) }));
    sortKey('sort_by', keyed.map((e) => e.k));
    keyed.sort((p, q) => cmpValues(p.k, q.k) || p.i - q.i);
    return keyed.map((e) => e.x);
  });
  f.set('sum', (a) => {
    arity('sum', a, 1);
    return arr('sum', a[0]).reduce((s: number, x) => s + num('sum', x), 0);
  });
  f.set('to_array', (a) => { arity('to_array', a, 1); return Array.isArray(a[0]) ? a[0] : [a[0]]; });
  f.set('to_string', (a) => { arity('to_string', a, 1); return typeof a[0] === 'string' ? a[0] : JSON.stringify(a[0]); });
  f.set('to_number', (a) => {
    arity('to_number', a, 1);
    const v = a[0];
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      const t = v.trim();
      if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
      return Number(t);
    }
    return null;
  });
  f.set('type', (a) => { arity('type', a, 1); return typeOf(a[0]); });
  return f;
}

export type { Interpreter };
