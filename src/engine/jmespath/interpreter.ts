// Tree-walking evaluator for the JMESPath AST.
//
// Missing keys: Kyverno's JMESPath flavour reports a reference to a key that an object does not
// have as an error ("Unknown key \"x\" in path") when it sits on a plain path, while projections,
// multi-selects, `||`/`&&`, comparisons and function arguments treat it as null. NotFoundError
// implements that: it is thrown by a field lookup and caught where a null is expected instead.
import type { Node } from './parser.ts';
import { JMESPathError } from './lexer.ts';
import { deepEqual, isObject, isTruthy } from './values.ts';

export class NotFoundError extends JMESPathError {
  key: string;
  constructor(key: string) {
    // Thrown and caught for every missing key a policy looks up, millions of times in a scan of a
    // big cluster: capturing a stack trace each time was most of the engine's time. It has none.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`Unknown key "${key}" in path`);
    Error.stackTraceLimit = limit;
    this.key = key;
  }
}

/** Cheap internal signal for a missing key (no stack capture); surfaced as NotFoundError by search(). */
class MissingKey {
  key: string;
  constructor(key: string) {
    this.key = key;
  }
}

export interface ExpRef { expref: Node; interp: Interpreter }

export type JFunction = (args: unknown[], interp: Interpreter) => unknown;

/**
 * How `+ - * / % //` treat operands that are not numbers (Kyverno's quantities and durations).
 * Returns undefined when the operands are not of a supported kind (the result is then null).
 */
export type ArithmeticHook = (op: string, a: unknown, b: unknown) => unknown;

export function isExpRef(v: unknown): v is ExpRef {
  return typeof v === 'object' && v !== null && 'expref' in v && 'interp' in v;
}

export class Interpreter {
  readonly functions: Map<string, JFunction>;
  root: unknown = null;
  arithmetic: ArithmeticHook | null = null;
  /** Lexical scopes of `let` expressions, innermost last. */
  private scopes: Array<Map<string, unknown>> = [];
  constructor(functions: Map<string, JFunction>) {
    this.functions = functions;
  }

  search(node: Node, value: unknown): unknown {
    const prev = this.root;
    const prevScopes = this.scopes;
    this.root = value;
    this.scopes = [];
    try {
      const r = this.eval(node, value);
      return r === undefined ? null : r;
    } catch (err) {
      if (err instanceof MissingKey) throw new NotFoundError(err.key);
      throw err;
    } finally {
      this.root = prev;
      this.scopes = prevScopes;
    }
  }

  /** Evaluates, turning a missing-key error into null. */
  soft(node: Node, value: unknown): unknown {
    try {
      return this.eval(node, value);
    } catch (err) {
      if (err instanceof MissingKey) return null;
      throw err;
    }
  }

  eval(node: Node, value: unknown): unknown {
    switch (node.t) {
      case 'identity':
      case 'current':
        return value;
      case 'root':
        return this.root;
      case 'literal':
        return node.value;
      case 'field': {
        if (!isObject(value)) return null;
        const v = value[node.name];
        if (v === undefined) {
          if (Object.prototype.hasOwnProperty.call(value, node.name)) return null;
          throw new MissingKey(node.name);
        }
        return v;
      }
      case 'sub': {
        const left = this.eval(node.left, value);
        if (left === null || left === undefined) return null;
        return this.eval(node.right, left);
      }
      case 'index': {
        const left = this.eval(node.left, value);
        if (!Array.isArray(left)) return null;
        const i = node.index < 0 ? left.length + node.index : node.index;
        return i >= 0 && i < left.length ? left[i] : null;
      }
      case 'slice': {
        const left = this.eval(node.left, value);
        if (!Array.isArray(left)) return null;
        return slice(left, node.start, node.stop, node.step);
      }
      case 'project': {
        const left = this.eval(node.left, value);
        if (!Array.isArray(left)) return null;
        const out: unknown[] = [];
        for (const el of left) {
          const r = this.soft(node.right, el);
          if (r !== null && r !== undefined) out.push(r);
        }
        return out;
      }
      case 'valueProject': {
        const left = this.eval(node.left, value);
        if (!isObject(left)) return null;
        const out: unknown[] = [];
        for (const el of Object.values(left)) {
          const r = this.soft(node.right, el);
          if (r !== null && r !== undefined) out.push(r);
        }
        return out;
      }
      case 'filter': {
        const left = this.eval(node.left, value);
        if (!Array.isArray(left)) return null;
        const out: unknown[] = [];
        for (const el of left) {
          if (!isTruthy(this.soft(node.cond, el))) continue;
          const r = this.soft(node.right, el);
          if (r !== null && r !== undefined) out.push(r);
        }
        return out;
      }
      case 'flatten': {
        const left = this.eval(node.left, value);
        if (!Array.isArray(left)) return null;
        const out: unknown[] = [];
        for (const el of left) {
          if (Array.isArray(el)) out.push(...el);
          else out.push(el);
        }
        return out;
      }
      case 'multiList': {
        if (value === null || value === undefined) return null;
        return node.items.map((item) => nn(this.soft(item, value)));
      }
      case 'multiHash': {
        if (value === null || value === undefined) return null;
        const out: Record<string, unknown> = {};
        for (const [k, item] of node.entries) out[k] = nn(this.soft(item, value));
        return out;
      }
      case 'pipe':
        return this.eval(node.right, this.eval(node.left, value));
      case 'or': {
        const left = this.soft(node.left, value);
        return isTruthy(left) ? left : this.eval(node.right, value);
      }
      case 'and': {
        const left = this.soft(node.left, value);
        return isTruthy(left) ? this.eval(node.right, value) : left;
      }
      case 'not':
        return !isTruthy(this.soft(node.expr, value));
      case 'cmp': {
        const a = nn(this.soft(node.left, value));
        const b = nn(this.soft(node.right, value));
        switch (node.op) {
          case 'eq': return deepEqual(a, b);
          case 'ne': return !deepEqual(a, b);
          default: {
            if (typeof a === 'number' && typeof b === 'number') return compare(node.op, a, b);
            if (typeof a === 'string' && typeof b === 'string') return compare(node.op, a, b);
            return null;
          }
        }
      }
      case 'call': {
        const fn = this.functions.get(node.name);
        if (!fn) throw new JMESPathError(`unknown function: ${node.name}()`);
        const args = node.args.map((a) => (a.t === 'expref' ? ({ expref: a.expr, interp: this } as ExpRef) : nn(this.soft(a, value))));
        return fn(args, this);
      }
      case 'expref':
        return { expref: node.expr, interp: this } as ExpRef;
      case 'arith': {
        const a = nn(this.soft(node.left, value));
        const b = nn(this.soft(node.right, value));
        if (typeof a === 'number' && typeof b === 'number') return numeric(node.op, a, b);
        const r = this.arithmetic?.(node.op, a, b);
        return r === undefined ? null : r;
      }
      case 'unary': {
        const a = nn(this.soft(node.expr, value));
        if (typeof a === 'number') return node.op === 'minus' ? -a : a;
        if (node.op === 'minus' && typeof a === 'string') {
          const r = this.arithmetic?.('multiply', a, -1);
          return r === undefined ? null : r;
        }
        return null;
      }
      case 'let': {
        const scope = new Map<string, unknown>();
        this.scopes.push(scope);
        try {
          for (const [name, expr] of node.bindings) scope.set(name, nn(this.soft(expr, value)));
          return this.eval(node.body, value);
        } finally {
          this.scopes.pop();
        }
      }
      case 'variable': {
        for (let i = this.scopes.length - 1; i >= 0; i--) {
          if (this.scopes[i].has(node.name)) return this.scopes[i].get(node.name);
        }
        throw new JMESPathError(`variable not defined: $${node.name}`);
      }
    }
  }
}

function nn(v: unknown): unknown {
  return v === undefined ? null : v;
}

function numeric(op: string, a: number, b: number): number {
  switch (op) {
    case 'plus': return a + b;
    case 'minus': return a - b;
    case 'multiply': return a * b;
    case 'divide':
      if (b === 0) throw new JMESPathError('division by zero');
      return a / b;
    case 'modulo':
      if (b === 0) throw new JMESPathError('modulo by zero');
      return a % b;
    default:
      if (b === 0) throw new JMESPathError('division by zero');
      return Math.floor(a / b);
  }
}

function compare(op: string, a: number | string, b: number | string): boolean {
  switch (op) {
    case 'lt': return a < b;
    case 'lte': return a <= b;
    case 'gt': return a > b;
    default: return a >= b;
  }
}

function slice(arr: unknown[], start: number | null, stop: number | null, step: number | null): unknown[] {
  const st = step ?? 1;
  if (st === 0) throw new JMESPathError('slice step cannot be 0');
  const len = arr.length;
  const norm = (v: number | null, def: number, lo: number, hi: number): number => {
    if (v === null) return def;
    let x = v < 0 ? v + len : v;
    if (x < lo) x = lo;
    if (x > hi) x = hi;
    return x;
  };
  const out: unknown[] = [];
  if (st > 0) {
    const s = norm(start, 0, 0, len);
    const e = norm(stop, len, 0, len);
    for (let i = s; i < e; i += st) out.push(arr[i]);
  } else {
    const s = norm(start, len - 1, -1, len - 1);
    const e = norm(stop, -1, -1, len - 1);
    for (let i = s; i > e; i += st) out.push(arr[i]);
  }
  return out;
}
