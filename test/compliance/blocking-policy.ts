// A policy that reads cluster data, shared by the live and the in-memory assessment tests: a Pod
// is denied when the `settings` ConfigMap of its namespace says `blocked: "true"`, read once by an
// apiCall and once by a configMap context entry (one rule each).
import type { KyvernoPolicy } from '../../src/render/desired-policy.ts';

export function namespaceBlocksPods(name: string, namespaces?: string[]): KyvernoPolicy {
  const rule = (kind: 'apiCall' | 'configMap') => ({
    name: `by-${kind}`,
    match: { any: [{ resources: { kinds: ['Pod'], ...(namespaces ? { namespaces } : {}) } }] },
    context: [kind === 'apiCall'
      ? { name: 'settings', apiCall: { urlPath: '/api/v1/namespaces/{{request.namespace}}/configmaps/settings', jmesPath: 'data' } }
      : { name: 'cm', configMap: { name: 'settings', namespace: '{{request.namespace}}' } }],
    validate: {
      message: `namespace blocks Pods (${kind})`,
      deny: { conditions: { any: [{ key: kind === 'apiCall' ? '{{ settings.blocked }}' : '{{ cm.data.blocked }}', operator: 'Equals', value: 'true' }] } },
    },
  });
  return {
    apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name, annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } },
    spec: { background: true, rules: [rule('apiCall'), rule('configMap')] },
  };
}
