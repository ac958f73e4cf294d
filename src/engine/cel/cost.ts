// A cost limit per CEL expression, like the API server's per-call limit for admission policies:
// every evaluation step (each AST node evaluated, each comprehension iteration's step) costs one
// unit, and an expression that spends more than its budget stops with an error instead of
// running away on a large object. The CEL library has no cost hook of its own; it evaluates every
// node through its evaluator's `run` method, so the budget is charged there.

/** The API server's runtime cost limit for one validating admission policy expression. */
export const PER_EXPRESSION_COST_LIMIT = 1_000_000;

export class CostLimitExceeded extends Error {
  constructor(limit: number) {
    super(`operation cancelled: actual cost limit exceeded (limit ${limit})`);
    this.name = 'CostLimitExceeded';
  }
}

interface Meter {
  remaining: number;
  limit: number;
}

let meter: Meter | null = null;

interface Evaluator {
  run(ast: unknown, ctx: unknown): unknown;
}

/** Makes an evaluator charge the active meter for each node it evaluates. */
export function meterEvaluator(ev: Evaluator): void {
  const run = ev.run;
  if (Object.isFrozen(ev)) throw new Error('the CEL evaluator cannot be metered');
  ev.run = function meteredRun(this: Evaluator, ast: unknown, ctx: unknown): unknown {
    if (meter !== null && --meter.remaining < 0) throw new CostLimitExceeded(meter.limit);
    return run.call(this, ast, ctx);
  };
}

/** Runs fn with a fresh budget of `limit` units; nested calls get their own budget. */
export function withCostLimit<T>(limit: number, fn: () => T): T {
  const outer = meter;
  meter = { remaining: limit, limit };
  try {
    return fn();
  } finally {
    meter = outer;
  }
}
