// `kspec run` without --repo, as the deployed ServiceAccount: ClusterSpecifications applied with
// kubectl are served (policies, status, reports), and an edit is picked up by the watch without
// waiting for a poll. The deadline is generous (30 s): this is not a speed assertion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { testCluster } from '../support/cluster.ts';
import { inClusterTarget, kspecServiceAccount, policyYaml, sleep, specYaml, startKspecRun, waitFor } from '../support/operator.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';
import type { ClusterSpecification, DriftReport } from '../../src/api/types.ts';

test('kspec run without --repo serves a ClusterSpecification applied with kubectl, and its edits through the watch', { timeout: 150_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('applied');
  const id = ns.slice(-8);
  const kubeconfig = await kspecServiceAccount(t, cluster, ns);
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const kubectlApply = (yaml: string) => objects.patch(parse(yaml) as KubernetesObject, undefined, undefined, 'kubectl', true, 'application/apply-patch+yaml');
  const policy = (name: string) => objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } }).then((p) => p as KubernetesObject & { spec: Record<string, unknown> }, () => undefined);
  const store = new KspecStore(cluster.kc);
  const name = `applied-${id}`;
  await kubectlApply(inClusterTarget(ns));
  await kubectlApply(specYaml(name, ns, { mode: 'monitor', checks: { a: policyYaml(`applied-a-${id}`, { namespace: ns }) } }));

  const kspec = await startKspecRun(t, ['--schedule', '0 0 1 1 *'], { KSPEC_KUBECONFIG: kubeconfig, KSPEC_NAMESPACE: ns });
  await waitFor('kspec run to be ready (first pass done)', 60_000, () => fetch(`${kspec.base}/readyz`).then((r) => r.status === 200, () => false));
  assert.equal((await policy(`applied-a-${id}`))?.spec.validationFailureAction, 'Audit', kspec.stderr());
  const spec = await store.get<ClusterSpecification>('ClusterSpecification', ns, name);
  assert.equal(spec?.status?.phase, 'Active', JSON.stringify(spec?.status));
  assert.equal(spec?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.ok(await store.get<DriftReport>('DriftReport', ns, `${name}-local`), 'its DriftReport is written');
  assert.match(await kspec.metrics(), new RegExp(`kspec_policies\\{cluster="local",spec="${name}",state="in_sync"\\} 1`));

  // kubectl apply of an edit: the watch wakes a pass at once.
  await sleep(1_000);
  const passesBefore = kspec.logs('pass started').length;
  await kubectlApply(specYaml(name, ns, { mode: 'monitor', checks: { a: policyYaml(`applied-a-${id}`, { namespace: ns }), b: policyYaml(`applied-b-${id}`, { namespace: ns }) } }));
  await waitFor('the added check to be applied', 30_000, async () => (await policy(`applied-b-${id}`)) !== undefined)
    .catch((err: Error) => { throw new Error(`${err.message}\n${kspec.stderr().split('\n').slice(-20).join('\n')}`); });
  const reasons = kspec.logs('pass started').slice(passesBefore).map((l) => JSON.stringify(l.reasons));
  assert.ok(reasons.some((r) => r.includes(`ClusterSpecification/${ns}/${name}`)), `woken by the spec watch: ${reasons.join(' ')}`);

  // kspec's status writes do not wake it again: one pass was woken by the spec, for the edit.
  await sleep(6_000);
  const bySpec = kspec.logs('pass started').filter((l) => JSON.stringify(l.reasons).includes(`ClusterSpecification/${ns}/${name}`));
  assert.equal(bySpec.length, 1, `no pass loop on kspec's own status writes: ${JSON.stringify(kspec.logs('pass started').map((l) => l.reasons))}`);
});
