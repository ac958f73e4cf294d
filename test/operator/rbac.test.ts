// The end-to-end pass scenarios as the deployed ServiceAccount: kspec's management connection is
// the token of ServiceAccount `kspec`, bound with exactly deploy/rbac's ClusterRole and Role
// (test/support/operator.ts kspecServiceAccount). Test-side, out-of-band changes use the admin
// connection. Any call kspec makes that RBAC denies shows up as a failed stage, a failed action
// or a "forbidden" log line, and fails the test with the call named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { inClusterTarget, kspecServiceAccount, policyYaml, remoteTarget, specYaml, kubeconfigSecret } from '../support/operator.ts';
import { reconcilePass } from '../../src/reconcile/pass.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';
import type { ClusterSpecification, ClusterTarget, ComplianceReport, DriftReport } from '../../src/api/types.ts';

const outcome = (r: PassResult, name: string) => r.specs.find((s) => s.plan.name === name)!;
const actions = (r: PassResult, name: string) => outcome(r, name).actions.map((a) => [a.drift.type, a.drift.event.resourceName, a.action]);

test('as the deployed ServiceAccount: apply from empty, revert modified, re-create missing, delete extra, new commits, dry run; status, reports, events, targets and a remote Secret', { timeout: 120_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const t0 = Date.now();
  const ns = await cluster.namespace('rbac');
  const id = ns.slice(-8);
  const saKubeconfig = await kspecServiceAccount(t, cluster, ns);
  const sa = new KubeConfig();
  sa.loadFromFile(saKubeconfig);
  const admin = KubernetesObjectApi.makeApiClient(cluster.kc);
  // The "remote" target is this cluster again, reached through a kubeconfig in a Secret (the
  // ServiceAccount's own), so the Secret read and the remote side both run under RBAC.
  await kubeconfigSecret(cluster, ns, 'remote-kubeconfig', readFileSync(saKubeconfig, 'utf8'));

  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `specs-${id}`;
  await git.createRepo(repo, {
    'targets/local.yaml': inClusterTarget(ns),
    'targets/remote.yaml': remoteTarget(ns, 'remote', 'remote-kubeconfig'),
    'specs/enf.yaml': specYaml(`enf-${id}`, ns, { checks: { a: policyYaml(`a-${id}`, { namespace: ns }), b: policyYaml(`b-${id}`, { namespace: ns }) } }),
    'specs/mon.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', checks: { c: policyYaml(`c-${id}`, { namespace: ns }) } }),
    'specs/rem.yaml': specYaml(`rem-${id}`, ns, { target: 'remote', checks: { d: policyYaml(`d-${id}`, { namespace: ns }) } }),
  });
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-cache-'));
  const logs: string[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const pass = async (dryRun = false) => {
    const result = await reconcilePass({
      source: { repo: git.repoUrl(repo), ref: 'main', cacheDir, token: git.token, username: git.username },
      namespace: ns,
      management: sa,
      dryRun,
      log: createLogger({ level: 'debug', sink: (line) => logs.push(line) }),
      metrics,
    });
    const denied = logs.filter((l) => /forbidden|\b403\b/i.test(l));
    assert.deepEqual(denied, [], 'RBAC denied a call kspec made');
    assert.equal(result.ok, true, JSON.stringify(result.specs.map((s) => [s.plan.name, s.phase, s.errors])));
    return result;
  };
  const policy = async (name: string) => {
    try {
      return (await admin.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } })) as KubernetesObject & { spec: Record<string, unknown> };
    } catch {
      return undefined;
    }
  };
  const store = new KspecStore(cluster.kc);

  // From empty: plan (server-side dry run) first, then apply.
  const planned = await pass(true);
  assert.deepEqual(actions(planned, `enf-${id}`), [['missing', `a-${id}`, 'dry-run'], ['missing', `b-${id}`, 'dry-run']]);
  assert.equal(await policy(`a-${id}`), undefined, 'a dry run creates nothing');
  const first = await pass();
  assert.deepEqual(actions(first, `enf-${id}`), [['missing', `a-${id}`, 'created'], ['missing', `b-${id}`, 'created']]);
  assert.deepEqual(actions(first, `mon-${id}`), [['missing', `c-${id}`, 'created']]);
  assert.equal((await policy(`c-${id}`))?.spec.validationFailureAction, 'Audit', 'monitor installs in Audit');
  assert.deepEqual(actions(first, `rem-${id}`), [['missing', `d-${id}`, 'created']]);
  assert.equal((await policy(`a-${id}`))?.spec.validationFailureAction, 'Enforce');
  assert.ok(await policy(`d-${id}`), 'created through the kubeconfig read from the Secret');

  for (const name of [`enf-${id}`, `mon-${id}`, `rem-${id}`]) {
    const mirror = await store.get<ClusterSpecification>('ClusterSpecification', ns, name);
    assert.equal(mirror?.status?.phase, 'Active', name);
    assert.equal(mirror?.status?.sourceCommit, first.commit);
  }
  assert.equal((await store.get<ComplianceReport>('ComplianceReport', ns, `enf-${id}-local`))?.status?.complianceScore, 100);
  assert.equal((await store.get<ComplianceReport>('ComplianceReport', ns, `rem-${id}-remote`))?.status?.complianceScore, 100);
  for (const target of ['local', 'remote']) {
    const status = await store.get<ClusterTarget>('ClusterTarget', ns, target);
    assert.deepEqual(status?.status?.conditions?.map((c) => [c.type, c.status]), [['Ready', 'True'], ['VersionMatched', 'True']], target);
  }

  // Out of band (admin): a changed failure action, a deleted policy, a stray with the spec's labels.
  await admin.patch({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `a-${id}` }, spec: { validationFailureAction: 'Audit' } } as KubernetesObject, undefined, undefined, 'kubectl-edit', undefined, PatchStrategy.MergePatch);
  await admin.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `b-${id}` } });
  const labels = { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': `enf-${id}`, 'kspec.io/spec-namespace': ns, 'kspec.io/policy': 'labels' };
  await admin.create({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `stray-${id}`, labels }, spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message: 'm', pattern: { metadata: { name: '?*' } } } }] } } as KubernetesObject);
  const second = await pass();
  assert.deepEqual(actions(second, `enf-${id}`), [['modified', `a-${id}`, 'applied'], ['missing', `b-${id}`, 'created'], ['extra', `stray-${id}`, 'deleted']]);
  assert.equal((await policy(`a-${id}`))?.spec.validationFailureAction, 'Enforce');
  assert.ok(await policy(`b-${id}`));
  assert.equal(await policy(`stray-${id}`), undefined);

  // A new commit is applied (a patch of a policy kspec owns).
  const sha = await git.commit(repo, { 'specs/enf.yaml': specYaml(`enf-${id}`, ns, { checks: { a: policyYaml(`a-${id}`, { namespace: ns, message: 'every Pod needs the app label' }), b: policyYaml(`b-${id}`, { namespace: ns }) } }) }, 'Reword');
  const third = await pass();
  assert.equal(third.commit, sha);
  assert.deepEqual(actions(third, `enf-${id}`), [['modified', `a-${id}`, 'applied']]);

  const events = await cluster.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns });
  const reasons = events.items.filter((e) => e.involvedObject.name === `enf-${id}`).map((e) => e.reason).sort();
  // One Event per reason and pass: three passes found drift; two created, two reverted, one deleted.
  assert.deepEqual(reasons, ['DriftDetected', 'DriftDetected', 'DriftDetected', 'PolicyCreated', 'PolicyCreated', 'PolicyDeleted', 'PolicyReverted', 'PolicyReverted']);

  // A spec removed from Git by a clean commit is retired: its policies pruned, then its mirror
  // and reports deleted.
  await git.commit(repo, { 'specs/rem.yaml': null }, 'Remove the remote spec');
  const fourth = await pass();
  assert.deepEqual(actions(fourth, `rem-${id}`), [['extra', `d-${id}`, 'deleted']]);
  assert.equal(await policy(`d-${id}`), undefined);
  assert.equal(await store.get<ClusterSpecification>('ClusterSpecification', ns, `rem-${id}`), undefined, 'the retired spec\'s mirror is deleted');
  assert.equal(await store.get<DriftReport>('DriftReport', ns, `rem-${id}-remote`), undefined);
  assert.equal(await store.get<ComplianceReport>('ComplianceReport', ns, `rem-${id}-remote`), undefined);
  t.diagnostic(`RBAC scenario took ${Date.now() - t0} ms`);
});

test('the ServiceAccount cannot do what the deployed RBAC leaves out', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('rbac-neg');
  const sa = new KubeConfig();
  sa.loadFromFile(await kspecServiceAccount(t, cluster, ns));
  const core = sa.makeApiClient(CoreV1Api);
  const code = (p: Promise<unknown>) => p.then(() => 200, (err: { code?: number }) => err.code);
  assert.equal(await code(core.listNamespacedSecret({ namespace: ns })), 403, 'no Secret list');
  assert.equal(await code(core.listSecretForAllNamespaces()), 403);
  assert.equal(await code(core.readNamespacedSecret({ namespace: 'kube-system', name: 'x' })), 403, 'no Secrets outside its namespace');
  assert.equal(await code(core.listConfigMapForAllNamespaces()), 403);
  assert.equal(await code(core.createNamespace({ body: { metadata: { name: `${ns}-x` } } })), 403);
  const objects = KubernetesObjectApi.makeApiClient(sa);
  assert.equal(await code(objects.delete({ apiVersion: 'kspec.io/v1alpha1', kind: 'ClusterTarget', metadata: { name: 'x', namespace: ns } })), 403, 'targets are never deleted');
});

test('a policy matching a kind the deployed RBAC does not grant (ConfigMap): applied, and the denied scan is reported, not hidden', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('rbac-cm');
  const id = ns.slice(-8);
  const sa = new KubeConfig();
  sa.loadFromFile(await kspecServiceAccount(t, cluster, ns));
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const configMapPolicy = policyYaml(`cm-${id}`, { namespace: ns }).replace('kinds: [Pod]', 'kinds: [ConfigMap]');
  await git.createRepo('specs', { 'targets/local.yaml': inClusterTarget(ns), 'specs/s.yaml': specYaml(`cm-${id}`, ns, { checks: { a: configMapPolicy } }) });
  const logs: string[] = [];
  const result = await reconcilePass({
    source: { repo: git.repoUrl('specs'), ref: 'main', cacheDir: mkdtempSync(join(tmpdir(), 'kspec-cache-')), token: git.token, username: git.username },
    namespace: ns,
    management: sa,
    dryRun: false,
    log: createLogger({ level: 'debug', sink: (line) => logs.push(line) }),
  });
  const spec = outcome(result, `cm-${id}`);
  assert.equal(spec.phase, 'Active', spec.errors.join('\n'));
  assert.deepEqual(actions(result, `cm-${id}`), [['missing', `cm-${id}`, 'created']]);
  // The documented trade-off (docs/operations.md, RBAC): no ConfigMaps or Secrets cluster-wide.
  // The scan that needs them is denied, and that must be visible to the operator.
  assert.ok(logs.some((l) => /configmaps/i.test(l) && /forbidden|403/i.test(l)), 'the denied ConfigMap scan is logged');
  t.diagnostic(`compliance as the ServiceAccount with a ConfigMap policy: source ${spec.complianceSource}, results ${JSON.stringify(spec.policyResults.map((r) => [r.policyID, r.status, r.violations?.map((v) => v.message)]))}`);
});
