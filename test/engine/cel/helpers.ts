// Builders for the CEL engine tests: a ValidatingPolicy around some spec, and running it.
import { compilePolicy, evaluatePolicy } from '../../../src/engine/index.ts';
import type { EvaluationContext, RuleResult } from '../../../src/engine/index.ts';

export const podRules = { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] };

export function vpol(spec: Record<string, unknown>, apiVersion = 'policies.kyverno.io/v1'): Record<string, unknown> {
  return { apiVersion, kind: 'ValidatingPolicy', metadata: { name: 'vp' }, spec: { matchConstraints: podRules, ...spec } };
}

export function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pod1', namespace: 'ns1', ...metadata }, spec };
}

export function results(policy: Record<string, unknown>, resource: Record<string, unknown>, ctx?: EvaluationContext): RuleResult[] {
  return evaluatePolicy(compilePolicy(policy), resource, ctx);
}

/** The single result's status and message, or 'none' when the policy does not apply. */
export function outcome(policy: Record<string, unknown>, resource: Record<string, unknown>, ctx?: EvaluationContext): string {
  const r = results(policy, resource, ctx);
  return r.length === 0 ? 'none' : r.map((x) => `${x.result}: ${x.message}`).join(' | ');
}

/** Evaluates one boolean expression about a pod through a ValidatingPolicy; 'pass', 'fail' or the error. */
export function check(expression: string, spec: Record<string, unknown> = { containers: [{ name: 'c', image: 'nginx:1' }] }, ctx?: EvaluationContext): string {
  const [r] = results(vpol({ validations: [{ expression, message: 'no' }] }), pod(spec), ctx);
  return r.result === 'error' ? `error: ${r.message}` : r.result;
}
