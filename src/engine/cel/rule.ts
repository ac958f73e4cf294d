// A compiled CEL rule: what a ValidatingPolicy (or one of its autogen variants) and a
// `validate.cel` rule of a ClusterPolicy have in common, and running it against a resource:
// exceptions, parameters, namespaceObject, then the expression set.
import { isObject } from '../jmespath/values.ts';
import type { EvaluationContext } from '../types.ts';
import type { AdmissionInput } from './activation.ts';
import { exceptionsFor } from './exceptions.ts';
import type { CelException } from './exceptions.ts';
import type { ExpressionSet } from './expressions.ts';
import type { MatchConstraints } from './match-constraints.ts';
import { selectParams } from './params.ts';
import type { ParamSource } from './params.ts';
import { runExpressionSet } from './run.ts';
import type { CelOutcome } from './run.ts';
import { buildActivation } from './activation.ts';
import { isClusterScopedKind } from './resources.ts';
import type { ApiGet } from './lib/resource.ts';

export interface CelRule {
  /** The policy's matchConstraints (ValidatingPolicy); null for validate.cel rules, matched by `match`. */
  constraints: MatchConstraints | null;
  expressions: ExpressionSet;
  params: ParamSource | null;
  /** The policy name and kind exceptions refer to. */
  policyName: string;
  policyKind: string;
}

function namespaceObject(namespace: string, ectx: EvaluationContext): Record<string, unknown> | null {
  if (namespace === '') return null;
  const known = ectx.namespaceObjects?.(namespace);
  if (known) return known;
  const nsl = ectx.namespaceLabels;
  const labels = typeof nsl === 'function' ? nsl(namespace) : nsl?.[namespace];
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, ...(labels ? { labels } : {}) } };
}

function exempted(rule: CelRule, input: AdmissionInput, exceptions: CelException[]): string | null {
  for (const e of exceptionsFor(exceptions, rule.policyName, rule.policyKind)) {
    const activation = buildActivation(input, []);
    try {
      if (e.matchConditions.every((c) => c.program.evaluate(activation) === true)) return e.name;
    } catch {
      // A broken exception exempts nothing.
    }
  }
  return null;
}

/** The rule's outcome for a resource it matched, or null when it does not apply. */
export function runCelRule(rule: CelRule, resource: Record<string, unknown>, ectx: EvaluationContext, label: string, apiGet?: ApiGet): CelOutcome | null {
  const meta = isObject(resource.metadata) ? resource.metadata : {};
  // A resource read from a file without a namespace is in `default`, as the Kyverno CLI has it.
  const namespace = isClusterScopedKind(String(resource.kind ?? '')) ? '' : String(meta.namespace ?? '') || 'default';
  const input: AdmissionInput = {
    // ...and its object says so, as the request Kyverno's CLI builds for it does.
    object: namespace && meta.namespace === undefined ? { ...resource, metadata: { ...meta, namespace } } : resource,
    oldObject: isObject(ectx.oldObject) ? ectx.oldObject : null,
    operation: ectx.operation ?? 'CREATE',
    userInfo: ectx.userInfo ?? {},
    namespaceObject: namespaceObject(namespace, ectx),
    params: null,
    ...(apiGet ? { apiGet } : {}),
  };
  const exception = exempted(rule, input, ectx.celExceptions ?? []);
  if (exception) return { status: 'skip', message: `rule is skipped due to policy exception ${exception}` };
  if (!rule.params) return runExpressionSet(rule.expressions, input, label);
  const params = selectParams(rule.params, ectx.paramResources ?? [], namespace);
  if (params.length === 0) {
    if (rule.params.notFoundAction === 'Allow') return null;
    return { status: 'error', message: `${label}: no params found for ${rule.params.kind} (paramRef ${rule.params.name ?? 'selector'})` };
  }
  // Evaluated once per parameter object; the first failure or error decides.
  let last: CelOutcome | null = null;
  for (const p of params) {
    const outcome = runExpressionSet(rule.expressions, { ...input, params: p }, label);
    if (outcome && outcome.status !== 'pass') return outcome;
    last = outcome ?? last;
  }
  return last;
}
