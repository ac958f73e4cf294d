// Evaluating a compiled policy against one resource: match/exclude, context, preconditions,
// then the validate block; one RuleResult per applicable rule.
import { isObject } from './jmespath/values.ts';
import { matches, excluded } from './match.ts';
import type { MatchInput } from './match.ts';
import { apiGetThrough, buildBaseContext, loadContextEntries, PendingResolution } from './context.ts';
import type { ResolutionCache } from './context.ts';
import { evaluateConditions } from './conditions.ts';
import { runValidator } from './validate.ts';
import type { Outcome, RunEnv } from './validate.ts';
import { setContextValue } from './variables.ts';
import type { Context } from './variables.ts';
import { evaluatePodSecurity, formatFailures, podTemplateOf } from './podsecurity.ts';
import type { CompiledPolicy, CompiledRule, EvaluationContext, ResourceRef, RuleResult } from './types.ts';
import { constraintsMatch } from './cel/match-constraints.ts';
import { runCelRule } from './cel/rule.ts';

export { compilePolicy } from './compile.ts';

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) out[k] = x === null || x === undefined ? '' : String(x);
  return out;
}

function matchInput(resource: Record<string, unknown>, ectx: EvaluationContext): MatchInput {
  const meta = isObject(resource.metadata) ? resource.metadata : {};
  const nsl = ectx.namespaceLabels;
  return {
    apiVersion: String(resource.apiVersion ?? ''),
    kind: String(resource.kind ?? ''),
    name: String(meta.name ?? ''),
    namespace: String(meta.namespace ?? ''),
    labels: strMap(meta.labels),
    annotations: strMap(meta.annotations),
    operation: ectx.operation ?? 'CREATE',
    userInfo: ectx.userInfo ?? {},
    roles: ectx.roles ?? [],
    clusterRoles: ectx.clusterRoles ?? [],
    namespaceLabels: typeof nsl === 'function' ? nsl : (ns) => nsl?.[ns],
  };
}

function resourceRef(resource: Record<string, unknown>): ResourceRef {
  const meta = isObject(resource.metadata) ? resource.metadata : {};
  const ref: ResourceRef = { apiVersion: String(resource.apiVersion ?? ''), kind: String(resource.kind ?? ''), name: String(meta.name ?? '') };
  if (typeof meta.namespace === 'string' && meta.namespace !== '') ref.namespace = meta.namespace;
  return ref;
}

function ruleValues(ectx: EvaluationContext, ruleName: string): Record<string, unknown> | undefined {
  const all = ectx.ruleValues;
  if (!all) return undefined;
  if (all[ruleName]) return all[ruleName];
  const base = ruleName.replace(/^autogen-(cronjob-)?/, '');
  return all[base];
}

function ruleForeachValues(ectx: EvaluationContext, ruleName: string): Record<string, unknown[]> | undefined {
  const all = ectx.ruleForeachValues;
  if (!all) return undefined;
  return all[ruleName] ?? all[ruleName.replace(/^autogen-(cronjob-)?/, '')];
}

function runPodSecurity(rule: CompiledRule, resource: Record<string, unknown>): Outcome {
  const ps = rule.validation.podSecurity!;
  const pod = podTemplateOf(resource);
  if (!pod) return { status: 'error', message: 'Error while getting new resource: Could not find correct resource type' };
  const failures = evaluatePodSecurity(ps, pod.meta, pod.spec);
  if (failures.length === 0) return { status: 'pass', message: `Validation rule '${rule.name}' passed.` };
  return {
    status: 'fail',
    message: `Validation rule '${rule.name}' failed. It violates PodSecurity "${ps.level}:${ps.version}": ${formatFailures(failures)}`,
  };
}

function evaluateRule(rule: CompiledRule, resource: Record<string, unknown>, base: Context, ectx: EvaluationContext, cache: ResolutionCache | undefined): Outcome | null {
  const ctx: Context = { ...base };
  const provided = new Set<string>(Object.keys(ectx.variables ?? {}).map((k) => k.split('.')[0]));
  const values = ruleValues(ectx, rule.name);
  if (values) {
    for (const [k, v] of Object.entries(values)) {
      setContextValue(ctx, k, v);
      provided.add(k.split('.')[0]);
    }
  }
  const foreachValues = ruleForeachValues(ectx, rule.name);
  if (foreachValues) for (const k of Object.keys(foreachValues)) provided.add(k.split('.')[0]);
  const env: RunEnv = {
    ...(foreachValues ? { foreachValues } : {}),
    ruleName: rule.name,
    ruleMessage: rule.validation.message,
    resource,
    resolvers: ectx.resolvers,
    cache,
    provided,
  };
  if (rule.cel || rule.validation.podSecurity) {
    // These rules check the resource directly: context and preconditions come first here, as
    // runValidator does them for the others. A ValidatingPolicy has neither.
    try {
      loadContextEntries(rule.context, ctx, env.resolvers, provided, cache);
    } catch (err) {
      if (err instanceof PendingResolution) throw err;
      return { status: 'error', message: `failed to load context: ${(err as Error).message}` };
    }
    const pre = evaluateConditions(rule.preconditions, ctx);
    if (!pre.passed) return { status: 'skip', message: ['preconditions not met', pre.message].filter((s) => s).join('; ') };
    if (!rule.cel) return runPodSecurity(rule, resource);
    const outcome = runCelRule(rule.cel, resource, ectx, `Validation rule '${rule.name}'`, apiGetThrough(env.resolvers, cache));
    if (outcome) return outcome;
    // A ValidatingPolicy whose matchConditions are false does not apply; a rule's celPreconditions skip it.
    return rule.cel.constraints ? null : { status: 'skip', message: 'cel preconditions not met' };
  }
  return runValidator(rule.validation, rule.context, rule.preconditions, env, ctx, undefined, 0);
}

/** The rule evaluated as if the old object were the request's object (for UPDATE requests). */
function oldObjectOutcome(rule: CompiledRule, oldObject: Record<string, unknown>, ectx: EvaluationContext, cache: ResolutionCache | undefined, async: boolean): Outcome | null {
  const oldCtx: EvaluationContext = { ...ectx, oldObject };
  const base = buildBaseContext(oldObject, oldCtx);
  const request = isObject(base.request) ? { ...base.request, object: oldObject, oldObject } : base.request;
  try {
    return evaluateRule(rule, oldObject, { ...base, request }, oldCtx, cache);
  } catch (err) {
    if (err instanceof PendingResolution && async) throw err;
    return null;
  }
}

/**
 * What every policy evaluated against one resource starts from: its match input and base context,
 * built once per resource and evaluation context instead of once per policy (a background scan
 * evaluates each resource against every policy of its kind). Rules never change the base context:
 * setContextValue copies what it writes into.
 */
interface StartingPoint {
  input: MatchInput;
  /** Built when the first rule matches. */
  base?: Context;
}

/**
 * Keyed by the evaluation context first, so that starting points live as long as the context
 * does: resources outlive a pass (kspec run keeps them in its watched lists), and a starting
 * point kept for them would keep the pass's context, and all it reaches, alive with them.
 */
const startingPoints = new WeakMap<EvaluationContext, WeakMap<Record<string, unknown>, StartingPoint>>();

function startingPoint(resource: Record<string, unknown>, ectx: EvaluationContext): StartingPoint {
  let points = startingPoints.get(ectx);
  if (!points) startingPoints.set(ectx, (points = new WeakMap()));
  let point = points.get(resource);
  if (!point) points.set(resource, (point = { input: matchInput(resource, ectx) }));
  return point;
}

function evaluate(compiled: CompiledPolicy, resource: Record<string, unknown>, ectx: EvaluationContext, cache: ResolutionCache | undefined, async: boolean): RuleResult[] {
  const start = startingPoint(resource, ectx);
  const input = start.input;
  if (compiled.namespace !== undefined && (input.namespace || 'default') !== compiled.namespace) return [];
  const results: RuleResult[] = [];
  const ref = resourceRef(resource);
  for (const rule of compiled.rules) {
    if (rule.cel?.constraints) {
      if (!constraintsMatch(rule.cel.constraints, input)) continue;
    } else {
      if (!rule.match || !matches(rule.match, input)) continue;
      if (excluded(rule.exclude, input)) continue;
    }
    const base = (start.base ??= buildBaseContext(resource, ectx));
    let outcome: Outcome | null;
    try {
      outcome = evaluateRule(rule, resource, base, ectx, cache);
    } catch (err) {
      if (err instanceof PendingResolution && async) throw err;
      outcome = { status: 'error', message: (err as Error).message };
    }
    if (!outcome) continue;
    if (outcome.status === 'fail' && input.operation === 'UPDATE' && isObject(ectx.oldObject)) {
      // An update is not blamed for a violation the object already had: when the old object
      // fails the rule too, Kyverno skips the rule.
      const old = oldObjectOutcome(rule, ectx.oldObject, ectx, cache, async);
      if (old?.status === 'fail') outcome = { status: 'skip', message: 'skipping modified resource as validation results have not changed' };
    }
    const result = outcome.status === 'fail' && !compiled.scored ? 'warn' : outcome.status;
    results.push({ policy: compiled.name, rule: rule.name, resource: ref, result, message: outcome.message });
    if (compiled.applyOne && (outcome.status === 'pass' || outcome.status === 'fail')) break;
  }
  return results;
}

/** Evaluates a compiled policy against a resource. Resolvers must answer synchronously. */
export function evaluatePolicy(compiled: CompiledPolicy, resource: Record<string, unknown>, ctx: EvaluationContext = {}): RuleResult[] {
  return evaluate(compiled, resource, ctx, new Map(), false);
}

/** Like evaluatePolicy, but resolvers may return promises (e.g. live cluster lookups). */
export async function evaluatePolicyAsync(compiled: CompiledPolicy, resource: Record<string, unknown>, ctx: EvaluationContext = {}): Promise<RuleResult[]> {
  const cache: ResolutionCache = new Map();
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      return evaluate(compiled, resource, ctx, cache, true);
    } catch (err) {
      if (!(err instanceof PendingResolution)) throw err;
      try {
        cache.set(err.key, await err.promise);
      } catch (lookupErr) {
        cache.set(err.key, null);
        void lookupErr;
      }
    }
  }
  return evaluate(compiled, resource, ctx, cache, false);
}
