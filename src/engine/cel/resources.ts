// Kind ↔ resource names for admission rules, which name resources ("pods", "deployments") where
// Kyverno's classic policies name kinds. Without discovery, Kubernetes' own guess is used: the
// lower-cased kind, pluralised the way its REST mapper does.
const IRREGULAR: Record<string, string> = {
  Endpoints: 'endpoints',
  PodSecurityPolicy: 'podsecuritypolicies',
  NetworkPolicy: 'networkpolicies',
};

export function resourceForKind(kind: string): string {
  if (IRREGULAR[kind]) return IRREGULAR[kind];
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** Well-known kinds by resource name, for listing what an admission rule matches. */
const KNOWN_KINDS = [
  'Pod', 'Service', 'ConfigMap', 'Secret', 'Namespace', 'Node', 'PersistentVolume', 'PersistentVolumeClaim', 'ServiceAccount',
  'Endpoints', 'Event', 'LimitRange', 'ResourceQuota', 'ReplicationController', 'Deployment', 'DaemonSet', 'StatefulSet',
  'ReplicaSet', 'Job', 'CronJob', 'Ingress', 'IngressClass', 'NetworkPolicy', 'Role', 'RoleBinding', 'ClusterRole',
  'ClusterRoleBinding', 'StorageClass', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'PriorityClass', 'FlowSchema',
  'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'PodTemplate',
];

const KIND_BY_RESOURCE = new Map(KNOWN_KINDS.map((k) => [resourceForKind(k), k]));

/** The kind a resource name stands for, or null when it is not a well-known one. */
export function kindForResource(resource: string): string | null {
  return KIND_BY_RESOURCE.get(resource) ?? null;
}

const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'CustomResourceDefinition',
  'PriorityClass', 'IngressClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'FlowSchema',
  'PriorityLevelConfiguration', 'APIService', 'CSIDriver', 'CSINode', 'RuntimeClass', 'VolumeAttachment',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ClusterPolicy', 'ValidatingPolicy',
]);

/** Whether a kind is one of Kubernetes' well-known cluster-scoped kinds. */
export function isClusterScopedKind(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}
