// Multi-cluster with two real control planes: the suite's (management) and a private one started
// here (remote). kspec runs as the deployed ServiceAccount in the management cluster and reaches
// the remote one only through the kubeconfig in a Secret named by the ClusterTarget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { startControlPlane } from '../support/control-plane.ts';
import { startGitServer } from '../support/git-server.ts';
import { inClusterTarget, kspecServiceAccount, policyYaml, remoteTarget, ROOT, specYaml, kubeconfigSecret } from '../support/operator.ts';
import { reconcilePass } from '../../src/reconcile/pass.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';
import { createLogger } from '../../src/log.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';
import type { ClusterSpecification, ClusterTarget, ComplianceReport, DriftReport } from '../../src/api/types.ts';

const KYVERNO_CRDS = ['kyverno.io_clusterpolicies.yaml', 'kyverno.io_policies.yaml', 'wgpolicyk8s.io_clusterpolicyreports.yaml', 'wgpolicyk8s.io_policyreports.yaml'].map((f) =>
  join(ROOT, 'deploy/kyverno-crds', f),
);

async function exists(objects: KubernetesObjectApi, name: string): Promise<boolean> {
  try {
    await objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}

const outcome = (r: PassResult, name: string) => r.specs.find((s) => s.plan.name === name)!;

test('a remote cluster from a Secret gets the policies, the management cluster keeps the reports; when it goes away only its spec fails', { timeout: 240_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'kspec-remote-cp-'));
  const remote = await startControlPlane({ dir });
  t.after(async () => {
    await remote.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await remote.applyManifests(KYVERNO_CRDS);
  t.diagnostic(`remote control plane up with the Kyverno CRDs in ${Date.now() - t0} ms (apiserver ready after ${remote.startupMs} ms)`);

  const ns = await cluster.namespace('multi');
  const id = ns.slice(-8);
  const saKubeconfig = await kspecServiceAccount(t, cluster, ns);
  const admin = KubernetesObjectApi.makeApiClient(cluster.kc);
  const remoteKc = new KubeConfig();
  remoteKc.loadFromFile(remote.kubeconfigPath);
  const remoteObjects = KubernetesObjectApi.makeApiClient(remoteKc);
  await kubeconfigSecret(cluster, ns, 'remote-kubeconfig', readFileSync(remote.kubeconfigPath, 'utf8'));

  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `specs-${id}`;
  await git.createRepo(repo, {
    'targets/local.yaml': inClusterTarget(ns),
    'targets/remote.yaml': remoteTarget(ns, 'remote', 'remote-kubeconfig'),
    'specs/local.yaml': specYaml(`loc-${id}`, ns, { checks: { a: policyYaml(`loc-a-${id}`, { namespace: ns }) } }),
    'specs/remote.yaml': specYaml(`rem-${id}`, ns, { target: 'remote', checks: { a: policyYaml(`rem-a-${id}`, { namespace: ns }), b: policyYaml(`rem-b-${id}`, { namespace: ns }) } }),
  });
  const management = new KubeConfig();
  management.loadFromFile(saKubeconfig);
  const logs: string[] = [];
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-cache-'));
  const pass = () =>
    reconcilePass({
      source: { repo: git.repoUrl(repo), ref: 'main', cacheDir, token: git.token, username: git.username },
      namespace: ns,
      management,
      dryRun: false,
      log: createLogger({ level: 'debug', sink: (line) => logs.push(line) }),
      targetTimeoutMs: 5_000,
    });

  const first = await pass();
  assert.equal(first.ok, true, JSON.stringify(first.specs.map((s) => [s.plan.name, s.errors])) + logs.filter((l) => /forbidden/i.test(l)).join('\n'));
  assert.deepEqual(outcome(first, `rem-${id}`).actions.map((a) => [a.drift.event.resourceName, a.action]), [[`rem-a-${id}`, 'created'], [`rem-b-${id}`, 'created']]);
  assert.ok(await exists(remoteObjects, `rem-a-${id}`), 'the remote spec\'s policy is on the remote cluster');
  assert.ok(await exists(remoteObjects, `rem-b-${id}`));
  assert.equal(await exists(admin, `rem-a-${id}`), false, 'and not on the management cluster');
  assert.ok(await exists(admin, `loc-a-${id}`), 'the in-cluster spec\'s policy is on the management cluster');
  assert.equal(await exists(remoteObjects, `loc-a-${id}`), false, 'and not on the remote one');

  const store = new KspecStore(cluster.kc);
  const drift = await store.get<DriftReport>('DriftReport', ns, `rem-${id}-remote`);
  assert.deepEqual(drift?.status?.driftEvents.map((e) => [e.type, e.resourceName, e.action]), [['missing', `rem-a-${id}`, 'created'], ['missing', `rem-b-${id}`, 'created']]);
  const compliance = await store.get<ComplianceReport>('ComplianceReport', ns, `rem-${id}-remote`);
  assert.equal(compliance?.status?.complianceScore, 100);
  const targetStatus = await store.get<ClusterTarget>('ClusterTarget', ns, 'remote');
  assert.equal(targetStatus?.status?.serverVersion, 'v1.20.2');
  assert.deepEqual(targetStatus?.status?.conditions?.map((c) => [c.type, c.status]), [['Ready', 'True'], ['VersionMatched', 'True']]);
  // kspec's resources exist only in the management cluster (the remote one has no kspec CRDs at all).
  const remoteCrds = await remoteObjects.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  assert.ok(!remoteCrds.items.some((c) => c.metadata?.name?.endsWith('.kspec.io')));

  // The remote cluster goes away.
  const stopT0 = Date.now();
  await remote.stop();
  t.diagnostic(`remote control plane stopped in ${Date.now() - stopT0} ms`);
  const passT0 = Date.now();
  const second = await pass();
  t.diagnostic(`pass with the remote cluster down took ${Date.now() - passT0} ms`);
  const failed = outcome(second, `rem-${id}`);
  assert.equal(failed.phase, 'Failed');
  assert.match(failed.errors.join('\n'), /^target: cluster remote: /m);
  assert.deepEqual(failed.actions, [], 'nothing is done (and nothing deleted) for an unreachable target');
  const local = outcome(second, `loc-${id}`);
  assert.equal(local.phase, 'Active', local.errors.join('\n'));
  assert.deepEqual(local.actions, []);
  assert.ok(await exists(admin, `loc-a-${id}`));

  const mirror = await store.get<ClusterSpecification>('ClusterSpecification', ns, `rem-${id}`);
  assert.equal(mirror?.status?.phase, 'Failed');
  assert.equal(mirror?.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'TargetFailed');
  assert.equal((await store.get<ClusterSpecification>('ClusterSpecification', ns, `loc-${id}`))?.status?.phase, 'Active');
  const downTarget = await store.get<ClusterTarget>('ClusterTarget', ns, 'remote');
  assert.deepEqual(downTarget?.status?.conditions?.map((c) => [c.type, c.status]), [['Ready', 'False'], ['VersionMatched', 'Unknown']]);
  // The reports of the failed spec are kept (not deleted), still naming what the last pass found.
  assert.ok(await store.get<DriftReport>('DriftReport', ns, `rem-${id}-remote`));
  assert.ok(await store.get<ComplianceReport>('ComplianceReport', ns, `rem-${id}-remote`));
  assert.ok(await store.get<DriftReport>('DriftReport', ns, `loc-${id}-local`));
  assert.ok(!logs.some((l) => /forbidden/i.test(l)), logs.filter((l) => /forbidden/i.test(l)).join('\n'));
  t.diagnostic(`multi-cluster test took ${Date.now() - t0} ms`);
});
