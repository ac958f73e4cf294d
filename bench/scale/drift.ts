// Makes 10 % drift in the policies kspec owns, the way people and other tools cause it: 5 % edited
// out of band, 2.5 % deleted, 2.5 % extra policies that carry a spec's labels.
import { kubeRequest, sleep, type KubeEndpoint } from '../../scripts/lib/kube-http.ts';

const POLICIES = '/apis/kyverno.io/v1/clusterpolicies';

interface LivePolicy {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { rules?: unknown[] };
}

export interface DriftMade {
  edited: number;
  deleted: number;
  extra: number;
}

export async function listOwned(ep: KubeEndpoint): Promise<LivePolicy[]> {
  const res = await kubeRequest(ep, 'GET', `${POLICIES}?labelSelector=${encodeURIComponent('app.kubernetes.io/managed-by=kspec')}`, { timeoutMs: 120_000 });
  return (res.json().items ?? []) as LivePolicy[];
}

/**
 * Drifts `fraction` of the owned policies (default 10 %). The extra policies also carry kubectl's
 * last-applied annotation, as objects an earlier `kubectl apply` created would, because
 * `kubectl apply --prune` only prunes such objects; kspec prunes by its labels alone.
 */
/** Deletes every policy kspec owns and waits until they are gone: the next pass starts from empty. */
export async function deleteOwned(ep: KubeEndpoint): Promise<void> {
  await kubeRequest(ep, 'DELETE', `/apis/kyverno.io/v1/clusterpolicies?labelSelector=${encodeURIComponent('app.kubernetes.io/managed-by=kspec')}`, { timeoutMs: 300_000 });
  while ((await listOwned(ep)).length > 0) await sleep(500);
}

export async function makeDrift(ep: KubeEndpoint, round: string, fraction = 0.1): Promise<DriftMade> {
  const live = (await listOwned(ep)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const edits = Math.round((live.length * fraction) / 2);
  const deletes = Math.round((live.length * fraction) / 4);
  const extras = deletes;
  // Spread the victims over the whole set (and so over every spec).
  const step = Math.max(1, Math.floor(live.length / (edits + deletes)));
  const victims = live.filter((_, i) => i % step === 0).slice(0, edits + deletes);
  const jobs: (() => Promise<unknown>)[] = [];
  victims.slice(0, edits).forEach((p) =>
    jobs.push(() =>
      kubeRequest(ep, 'PATCH', `${POLICIES}/${p.metadata.name}`, {
        body: [{ op: 'add', path: '/spec/rules/0/validate/message', value: `edited out of band (${round})` }],
        contentType: 'application/json-patch+json',
      }),
    ),
  );
  victims.slice(edits).forEach((p) => jobs.push(() => kubeRequest(ep, 'DELETE', `${POLICIES}/${p.metadata.name}`)));
  for (let i = 0; i < extras; i++) {
    const model = live[(i * 7) % live.length];
    const name = `extra-${round}-${i}`;
    const body = {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name, labels: model.metadata.labels, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } }) } },
      spec: model.spec,
    };
    jobs.push(() => kubeRequest(ep, 'POST', POLICIES, { body }));
  }
  await runLimited(jobs, 16);
  return { edited: edits, deleted: deletes, extra: extras };
}

export async function runLimited(jobs: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
}
