// Small builders shared by the engine tests.
import { compilePolicy, evaluatePolicy } from '../../src/engine/index.ts';
import type { EvaluationContext, RuleResult } from '../../src/engine/index.ts';

export function policyWith(rule: Record<string, unknown>, extra: { annotations?: Record<string, string>; kind?: string; namespace?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: extra.kind ?? 'ClusterPolicy',
    metadata: { name: 'p', ...(extra.annotations ? { annotations: extra.annotations } : {}), ...(extra.namespace ? { namespace: extra.namespace } : {}) },
    spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, ...rule }] },
  };
}

export function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pod1', namespace: 'ns1', ...metadata }, spec };
}

export function run(policy: Record<string, unknown>, resource: Record<string, unknown>, ctx?: EvaluationContext): RuleResult[] {
  return evaluatePolicy(compilePolicy(policy), resource, ctx);
}

/** Evaluates a validate block on a resource and returns the single result status (or 'none'). */
export function statusOf(validate: Record<string, unknown>, resource: Record<string, unknown>, extra: Record<string, unknown> = {}, ctx?: EvaluationContext): string {
  const results = run(policyWith({ validate, ...extra }, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } }), resource, ctx);
  return results.length ? results[0].result : 'none';
}
