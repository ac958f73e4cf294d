import type { PolicyDefinition, PolicyResult, Violation } from '../api/types.ts';
import type { Drift } from '../drift/detect.ts';

/** Violations kept in a report per policy; the true total is recorded beside them. */
export const MAX_VIOLATIONS_PER_POLICY = 50;

/**
 * Compliance from policy presence alone: a policy is compliant when every one of its checks is
 * installed and in sync after the pass. Used until resource-level results are available.
 */
export function presenceResults(policies: PolicyDefinition[], remaining: Drift[]): PolicyResult[] {
  return policies.map((policy) => {
    const violations: Violation[] = remaining
      .filter((d) => d.type !== 'extra' && d.event.policyID === policy.id)
      .map((d) => ({
        resource: `${d.event.resourceKind ?? 'ClusterPolicy'}/${d.event.resourceName}`,
        ...(d.event.resourceNamespace ? { namespace: d.event.resourceNamespace } : {}),
        message: d.type === 'missing' ? `check ${d.event.checkID} is not installed` : `check ${d.event.checkID} differs from the spec`,
      }));
    return {
      policyID: policy.id,
      status: violations.length === 0 ? 'compliant' : 'violation',
      severity: policy.severity,
      violations: violations.slice(0, MAX_VIOLATIONS_PER_POLICY),
      violationTotal: violations.length,
    };
  });
}
