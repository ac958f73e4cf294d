// The policy watch of `kspec run` (as the deployed ServiceAccount): with the schedule far in the
// future, an out-of-band edit of a kspec-owned ClusterPolicy is reverted without waiting for a
// poll, and so is a deletion. The deadline is generous (30 s): this is not a speed assertion; the
// measured time is printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { inClusterTarget, kspecServiceAccount, policyYaml, sleep, specYaml, startKspecRun, waitFor } from '../support/operator.ts';

// With the schedule a year away, only the watch can start the pass that reverts: the reasons
// logged prove that. The deadline only ends a hung test, as generous as the first pass's, since
// on a busy machine a pass can take that long.
const DEADLINE_MS = 90_000;

test('watch: an out-of-band edit (kubectl edit) and a deletion of a kspec-owned ClusterPolicy are reverted without waiting for a poll', { timeout: 180_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('watch');
  const id = ns.slice(-8);
  const kubeconfig = await kspecServiceAccount(t, cluster, ns);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `specs-${id}`;
  const name = `watched-${id}`;
  await git.createRepo(repo, { 'targets/local.yaml': inClusterTarget(ns), 'specs/s.yaml': specYaml(`watch-${id}`, ns, { checks: { a: policyYaml(name, { namespace: ns }) } }) });
  const kspec = await startKspecRun(t, ['--repo', git.repoUrl(repo), '--schedule', '0 0 1 1 *', '--cache-dir', mkdtempSync(join(tmpdir(), 'kspec-cache-'))], {
    KSPEC_KUBECONFIG: kubeconfig,
    KSPEC_NAMESPACE: ns,
    KSPEC_GIT_TOKEN: git.token,
    KSPEC_GIT_USERNAME: git.username,
  });
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const ref = { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } };
  const live = () => objects.read(ref).then((p) => p as KubernetesObject & { spec: { validationFailureAction?: string } }, () => undefined);

  await waitFor('kspec run to be ready (first pass done)', 90_000, () => fetch(`${kspec.base}/readyz`).then((r) => r.status === 200, () => false));
  assert.equal((await live())?.spec.validationFailureAction, 'Enforce', kspec.stderr());
  // Let the watch start and its initial list settle before editing.
  await sleep(1_000);
  const passesBefore = kspec.logs('pass started').length;

  // kubectl edit: flip the failure action to Audit.
  const editedAt = Date.now();
  await objects.patch({ ...ref, spec: { validationFailureAction: 'Audit' } } as KubernetesObject, undefined, undefined, 'kubectl-edit', undefined, PatchStrategy.MergePatch);
  const fails = (what: string) => (err: Error) => {
    throw new Error(`${err.message}; ${what}. Passes started since the edit: ${JSON.stringify(kspec.logs('pass started').slice(passesBefore).map((l) => l.reasons))}\n${kspec.stderr().split('\n').slice(-20).join('\n')}`);
  };
  await waitFor('the edit to be reverted by the watch', DEADLINE_MS, async () => (await live())?.spec.validationFailureAction === 'Enforce').catch(fails('the edit was not reverted'));
  const revertMs = Date.now() - editedAt;
  t.diagnostic(`out-of-band edit reverted ${revertMs} ms after the edit`);
  const reasons = kspec.logs('pass started').slice(passesBefore).map((l) => JSON.stringify(l.reasons));
  assert.ok(reasons.length >= 1 && reasons.every((r) => r.includes('watch')), `reverted by watch-triggered passes, not a poll: ${reasons.join(' ')}`);

  // kubectl delete: re-created.
  await sleep(500);
  const deletedAt = Date.now();
  await objects.delete(ref);
  await waitFor('the deleted policy to be re-created by the watch', DEADLINE_MS, async () => (await live()) !== undefined).catch(fails('the deletion was not reverted'));
  t.diagnostic(`deleted policy re-created ${Date.now() - deletedAt} ms after the delete`);

  // kspec's own writes do not keep it busy: the passes about this policy stop once the cluster
  // matches the spec. (Passes woken by other tests' kspec-owned policies are not counted: the
  // watch sees every kspec-owned policy on the shared API server.)
  const ours = () => kspec.logs('pass started').filter((l) => JSON.stringify(l.reasons).includes(`/${name} `)).length;
  await sleep(3_000);
  const settled = ours();
  await sleep(3_000);
  assert.equal(ours(), settled, 'no pass loop on kspec\'s own changes');
  t.diagnostic(`passes started in total: ${kspec.logs('pass started').length}, ${settled} of them woken by this test's policy: ${JSON.stringify(kspec.logs('pass started').map((l) => l.reasons))}`);
});
