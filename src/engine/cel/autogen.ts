// Kyverno's autogen for CEL policies: a policy written for Pods also runs on the Pod
// controllers, with its expressions rewritten to look at the pod template. Deployments,
// DaemonSets, StatefulSets, ReplicaSets, Jobs and ReplicationControllers keep it at
// spec.template, CronJobs at spec.jobTemplate.spec.template.
export const POD_TEMPLATE = { spec: 'spec.template.spec', metadata: 'spec.template.metadata' };
export const CRONJOB_TEMPLATE = { spec: 'spec.jobTemplate.spec.template.spec', metadata: 'spec.jobTemplate.spec.template.metadata' };

export interface Controller {
  group: string;
  version: string;
  resource: string;
  kind: string;
  cron: boolean;
}

export const POD_CONTROLLERS: Controller[] = [
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', cron: false },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', cron: false },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', cron: false },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', cron: false },
  { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', cron: false },
  { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', cron: true },
  { group: '', version: 'v1', resource: 'replicationcontrollers', kind: 'ReplicationController', cron: false },
];

/**
 * Rewrites `object.spec` / `object.metadata` (and the same on oldObject) to the pod template's.
 * With `keepNamespace`, `object.metadata.namespace` stays: a template carries no namespace
 * (ValidatingPolicy autogen keeps it; the ClusterPolicy one does not).
 */
export function rewriteForTemplate(expression: string, template: typeof POD_TEMPLATE, keepNamespace: boolean): string {
  return expression.replace(/\b(object|oldObject)\.(spec|metadata)\b(\.namespace\b)?/g, (whole, which: string, part: 'spec' | 'metadata', ns: string | undefined) => {
    if (ns && part === 'metadata' && keepNamespace) return whole;
    return `${which}.${template[part]}${ns ?? ''}`;
  });
}

/** Applies rewriteForTemplate to every string in a JSON value. */
export function rewriteStrings(value: unknown, rewrite: (s: string) => string): unknown {
  if (typeof value === 'string') return rewrite(value);
  if (Array.isArray(value)) return value.map((v) => rewriteStrings(v, rewrite));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = rewriteStrings(v, rewrite);
    return out;
  }
  return value;
}
