// Preconditions and deny conditions: any/all blocks (or a legacy plain list) of
// { key, operator, value, message } with Kyverno's operators.
import { substituteAll } from './variables.ts';
import type { Context } from './variables.ts';
import { deepEqual, goSprint, isObject } from './jmespath/values.ts';
import { parseDuration } from './duration.ts';
import { compareQuantities, parseQuantity } from './quantity.ts';
import { wildcardMatch } from './wildcard.ts';

export interface Condition {
  key: unknown;
  operator: string;
  value: unknown;
  message?: string;
}

export interface CompiledConditions {
  any: Condition[] | null;
  all: Condition[] | null;
}

const OPERATORS = new Set([
  'equals', 'notequals', 'in', 'anyin', 'allin', 'notin', 'anynotin', 'allnotin',
  'greaterthan', 'greaterthanorequals', 'lessthan', 'lessthanorequals',
  'durationgreaterthan', 'durationgreaterthanorequals', 'durationlessthan', 'durationlessthanorequals',
  'equal', 'notequal',
]);

function compileCondition(raw: unknown, where: string): Condition {
  if (!isObject(raw)) throw new Error(`${where}: a condition must be an object`);
  const op = raw.operator;
  if (typeof op !== 'string' || !OPERATORS.has(op.toLowerCase())) {
    throw new Error(`${where}: unknown condition operator ${JSON.stringify(op)}`);
  }
  return { key: raw.key ?? null, operator: op.toLowerCase(), value: raw.value ?? null, message: typeof raw.message === 'string' ? raw.message : undefined };
}

/** Compiles a conditions block; null/undefined means "no conditions". */
export function compileConditions(raw: unknown, where: string): CompiledConditions | null {
  if (raw === null || raw === undefined) return null;
  if (Array.isArray(raw)) return { any: null, all: raw.map((c, i) => compileCondition(c, `${where}[${i}]`)) };
  if (!isObject(raw)) throw new Error(`${where}: conditions must be a list or an object with any/all`);
  const any = Array.isArray(raw.any) ? raw.any.map((c, i) => compileCondition(c, `${where}.any[${i}]`)) : null;
  const all = Array.isArray(raw.all) ? raw.all.map((c, i) => compileCondition(c, `${where}.all[${i}]`)) : null;
  if (!any && !all) {
    if (Object.keys(raw).length === 0) return { any: null, all: null };
    throw new Error(`${where}: conditions must have any or all`);
  }
  return { any, all };
}

export interface ConditionsOutcome {
  passed: boolean;
  message: string;
}

/** Evaluates conditions; unresolvable variables count as empty strings (Kyverno's rule for conditions). */
export function evaluateConditions(conds: CompiledConditions | null, ctx: Context): ConditionsOutcome {
  if (!conds) return { passed: true, message: '' };
  const messages: string[] = [];
  let anyOk = true;
  if (conds.any && conds.any.length > 0) {
    anyOk = false;
    const anyMsgs: string[] = [];
    for (const c of conds.any) {
      if (evaluateCondition(c, ctx)) { anyOk = true; break; }
      if (c.message) anyMsgs.push(c.message);
    }
    if (!anyOk) messages.push(...anyMsgs);
  }
  let allOk = true;
  if (conds.all) {
    for (const c of conds.all) {
      if (!evaluateCondition(c, ctx)) {
        allOk = false;
        if (c.message) messages.push(c.message);
        break;
      }
    }
  }
  return { passed: anyOk && allOk, message: messages.map((m) => String(substituteAll(m, ctx, 'lenient'))).join('; ') };
}

export function evaluateCondition(c: Condition, ctx: Context): boolean {
  const key = substituteAll(c.key, ctx, 'lenient');
  const value = substituteAll(c.value, ctx, 'lenient');
  return applyOperator(c.operator, key, value);
}

export function applyOperator(operator: string, key: unknown, value: unknown): boolean {
  switch (operator) {
    case 'equals': case 'equal': return equals(key, value);
    case 'notequals': case 'notequal': return !equals(key, value);
    case 'anyin': return setOp(key, value, 'anyin');
    case 'allin': case 'in': return setOp(key, value, 'allin');
    case 'anynotin': return setOp(key, value, 'anynotin');
    case 'allnotin': return setOp(key, value, 'allnotin');
    case 'notin': return !setOp(key, value, 'allin');
    case 'greaterthan': return numeric(key, value, (c) => c > 0);
    case 'greaterthanorequals': return numeric(key, value, (c) => c >= 0);
    case 'lessthan': return numeric(key, value, (c) => c < 0);
    case 'lessthanorequals': return numeric(key, value, (c) => c <= 0);
    case 'durationgreaterthan': return durations(key, value, (c) => c > 0);
    case 'durationgreaterthanorequals': return durations(key, value, (c) => c >= 0);
    case 'durationlessthan': return durations(key, value, (c) => c < 0);
    case 'durationlessthanorequals': return durations(key, value, (c) => c <= 0);
    default: return false;
  }
}

function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'string') {
    if (typeof value === 'string') {
      const dk = parseDuration(key);
      const dv = parseDuration(value);
      if (dk !== null && dv !== null) return dk === dv;
      const qk = parseQuantity(key);
      const qv = parseQuantity(value);
      if (qk !== null && qv !== null) return qk === qv && (compareQuantities(key, value) ?? 0) === 0;
      return wildcardMatch(value, key);
    }
    if (typeof value === 'number') {
      const dk = parseDuration(key);
      if (dk !== null) return dk === value;
      const qk = parseQuantity(key);
      return qk !== null && qk === value;
    }
    return false;
  }
  if (typeof key === 'number') {
    if (typeof value === 'number') return key === value;
    if (typeof value === 'string') {
      const dv = parseDuration(value);
      if (dv !== null && !/^[+-]?\d+(\.\d+)?$/.test(value.trim())) return dv === key;
      const qv = parseQuantity(value);
      return qv !== null && qv === key;
    }
    return false;
  }
  if (typeof key === 'boolean') return typeof value === 'boolean' ? key === value : false;
  if (key === null || key === undefined) return value === null || value === undefined;
  return deepEqual(key, value);
}

type SetMode = 'anyin' | 'allin' | 'anynotin' | 'allnotin';

const RANGE_RE = /^\s*([+-]?\d+(?:\.\d+)?)\s*(!?-)\s*([+-]?\d+(?:\.\d+)?)\s*$/;

/** True when `item` is a member of the `value` collection. */
function memberOf(item: string, value: unknown): boolean {
  if (Array.isArray(value)) {
    for (const v of value) {
      const s = goSprint(v);
      if (wildcardMatch(s, item) || wildcardMatch(item, s)) return true;
    }
    return false;
  }
  if (typeof value === 'string') {
    if (wildcardMatch(value, item)) return true;
    const r = RANGE_RE.exec(value);
    if (r) {
      const n = Number(item);
      if (item.trim() === '' || Number.isNaN(n)) return false;
      const inside = n >= Number(r[1]) && n <= Number(r[3]);
      return r[2] === '-' ? inside : !inside;
    }
    try {
      const arr = JSON.parse(value) as unknown;
      if (Array.isArray(arr)) return arr.some((v) => goSprint(v) === item);
    } catch {
      /* not a JSON list */
    }
    return false;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return goSprint(value) === item;
  return false;
}

function setOp(key: unknown, value: unknown, mode: SetMode): boolean {
  const items: string[] = Array.isArray(key) ? key.map(goSprint) : [isObject(key) ? JSON.stringify(key) : goSprint(key)];
  if (!Array.isArray(key) && (key === null || key === undefined)) items[0] = '';
  switch (mode) {
    case 'anyin': return items.some((i) => memberOf(i, value));
    case 'allin': return items.every((i) => memberOf(i, value));
    case 'anynotin': return items.some((i) => !memberOf(i, value));
    case 'allnotin': return items.every((i) => !memberOf(i, value));
  }
}

function semverParts(v: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

function numeric(key: unknown, value: unknown, test: (c: number) => boolean): boolean {
  const nk = toNumber(key);
  const nv = toNumber(value);
  if (nk !== null && nv !== null) {
    // Equal as floats (or both out of float range): decide on the exact decimal values.
    if (nk === nv || !Number.isFinite(nk - nv)) return test(compareQuantities(String(key), String(value)) ?? 0);
    return test(nk - nv);
  }
  if (typeof key === 'string' || typeof value === 'string') {
    const ks = typeof key === 'number' ? String(key) : key;
    const vs = typeof value === 'number' ? String(value) : value;
    if (typeof ks === 'string' && typeof vs === 'string') {
      const dk = parseDuration(ks);
      const dv = parseDuration(vs);
      if (dk !== null && dv !== null && (nk === null || nv === null)) return test(dk - dv);
      const qk = parseQuantity(ks);
      const qv = parseQuantity(vs);
      if (qk !== null && qv !== null) return test(qk === qv ? compareQuantities(ks, vs) ?? 0 : qk - qv);
      const sk = semverParts(ks);
      const sv = semverParts(vs);
      if (sk && sv) {
        for (let i = 0; i < 3; i++) if (sk[i] !== sv[i]) return test(sk[i] - sv[i]);
        return test(0);
      }
    }
  }
  return false;
}

function durations(key: unknown, value: unknown, test: (c: number) => boolean): boolean {
  const asSeconds = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' ? parseDuration(v) : null);
  const dk = asSeconds(key);
  const dv = asSeconds(value);
  if (dk === null || dv === null) return false;
  return test(dk - dv);
}
