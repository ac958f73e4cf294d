// The CEL environment policies are evaluated in: the @marcbachmann/cel-js library (parser, type
// checker, evaluator, macros, optional types) with the Kubernetes CEL extensions registered on
// top, and every expression metered against the per-expression cost limit.
import { Environment } from '@marcbachmann/cel-js';
import { meterEvaluator, PER_EXPRESSION_COST_LIMIT, withCostLimit } from './cost.ts';
import { acceptPlainOrValueReceivers } from './optional-receiver.ts';
import { registerFormat } from './lib/format.ts';
import { registerIP } from './lib/ip.ts';
import { registerLists } from './lib/lists.ts';
import { registerQuantity } from './lib/quantity.ts';
import { registerRegex } from './lib/regex.ts';
import { registerResource } from './lib/resource.ts';
import { registerSets } from './lib/sets.ts';
import { registerStrings } from './lib/strings.ts';
import { registerUrl } from './lib/url.ts';
import { registerUser } from './lib/user.ts';

export interface CelProgram {
  readonly source: string;
  /** Evaluates against the named values (object, oldObject, request, params, variables, ...). */
  evaluate(activation: Record<string, unknown>): unknown;
}

/** An expression that does not parse or type-check. */
export class CelCompileError extends Error {
  constructor(source: string, cause: Error) {
    super(`compilation failed: ${firstLine(cause.message)} in expression ${JSON.stringify(source)}`);
    this.name = 'CelCompileError';
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}

function createEnvironment(): Environment {
  const env = new Environment({
    // The activation's names (object, request, variables...) are dynamically typed, as JSON is.
    unlistedVariablesAreDyn: true,
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
  });
  registerStrings(env);
  registerLists(env);
  registerSets(env);
  registerRegex(env);
  registerUrl(env);
  registerQuantity(env);
  registerIP(env);
  registerFormat(env);
  registerResource(env);
  registerUser(env);
  meterEvaluator(evaluatorOf(env));
  return env;
}

/** The library's evaluator instance, reached through the first node it evaluates. */
function evaluatorOf(env: Environment): { run(ast: unknown, ctx: unknown): unknown } {
  const probe = env.parse('true');
  let ev: { run(ast: unknown, ctx: unknown): unknown } | undefined;
  Object.defineProperty(probe.ast, 'evaluate', { value: (e: typeof ev) => ((ev = e), true), configurable: true, writable: true });
  probe({});
  if (!ev) throw new Error('the CEL evaluator could not be reached');
  return ev;
}

// Built on first use: passes and commands without CEL policies never pay for it.
let shared: Environment | undefined;
const environment = (): Environment => (shared ??= createEnvironment());
const programs = new Map<string, CelProgram>();

/** Parses and type-checks an expression once; the program is shared by every policy using it. */
export function compileCel(source: string): CelProgram {
  const cached = programs.get(source);
  if (cached) return cached;
  let run: (ctx: Record<string, unknown>) => unknown;
  try {
    const parsed = environment().parse(source);
    acceptPlainOrValueReceivers(parsed.ast);
    run = parsed;
    const checked = environment().check(source);
    if (!checked.valid) throw checked.error;
  } catch (err) {
    throw new CelCompileError(source, err as Error);
  }
  const program: CelProgram = {
    source,
    evaluate: (activation) => withCostLimit(PER_EXPRESSION_COST_LIMIT, () => run(activation)),
  };
  programs.set(source, program);
  return program;
}

/** Evaluates an expression with an explicit cost limit (tests and benchmarks of the limit). */
export function evaluateWithLimit(source: string, activation: Record<string, unknown>, limit: number): unknown {
  const parsed = environment().parse(source);
  acceptPlainOrValueReceivers(parsed.ast);
  return withCostLimit(limit, () => parsed(activation));
}
