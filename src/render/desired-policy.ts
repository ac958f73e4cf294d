import type { Severity } from '../api/types.ts';

export type PolicyKind = 'ClusterPolicy' | 'Policy' | 'ValidatingPolicy';

/** Kyverno's CEL policy kind and the API versions a check may write it in. */
export const VALIDATING_POLICY_GROUP = 'policies.kyverno.io';
export const VALIDATING_POLICY_API_VERSIONS = ['policies.kyverno.io/v1alpha1', 'policies.kyverno.io/v1beta1', 'policies.kyverno.io/v1'];

/** A Kyverno policy as kspec wants it in the cluster, with where it came from. */
export interface DesiredPolicy {
  object: KyvernoPolicy;
  specName: string;
  policyId: string;
  checkId: string;
  severity: Severity;
}

export interface KyvernoPolicy {
  apiVersion: string;
  kind: PolicyKind;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** `ClusterPolicy/name` or `Policy/namespace/name`: unique within a cluster. */
export function policyKey(policy: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return policy.kind === 'Policy' ? `Policy/${policy.metadata.namespace}/${policy.metadata.name}` : `${policy.kind}/${policy.metadata.name}`;
}

/**
 * Whether Kyverno scans existing resources with the policy (background scans, policy reports):
 * `spec.background` of a ClusterPolicy or Policy, `spec.evaluation.background.enabled` of a
 * ValidatingPolicy; both default to true.
 */
export function isBackgroundScanned(policy: KyvernoPolicy): boolean {
  if (policy.kind !== 'ValidatingPolicy') return policy.spec.background !== false;
  const evaluation = policy.spec.evaluation as { background?: { enabled?: unknown } } | undefined;
  return evaluation?.background?.enabled !== false;
}
