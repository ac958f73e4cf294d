// ValidatingPolicies through the whole reconcile pass: a real Git server, the real API server with
// Kyverno's ValidatingPolicy CRD, an enforce and a monitor spec whose checks are ValidatingPolicies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { inClusterTarget, specYaml, validatingPolicyYaml } from '../support/operator.ts';
import { reconcilePass } from '../../src/reconcile/pass.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { createLogger } from '../../src/log.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';
import { PolicyClient } from '../../src/cluster/policy-client.ts';
import type { ComplianceReport, DriftReport } from '../../src/api/types.ts';

type LivePolicy = KubernetesObject & { spec: Record<string, unknown> };

test('ValidatingPolicies: enforce installs them with validationActions [Deny], drift is found and reverted, both specs report compliance', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('vpol');
  const id = ns.slice(-8);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `vpol-${id}`;
  await git.createRepo(repo, {
    'targets/local.yaml': inClusterTarget(ns),
    'specs/enforced.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: validatingPolicyYaml(`va-${id}`, { namespace: ns, apiVersion: 'policies.kyverno.io/v1alpha1' }) } }),
    'specs/monitored.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', checks: { b: validatingPolicyYaml(`vb-${id}`, { namespace: ns }) } }),
  });
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-cache-'));
  const pass = (dryRun = false) =>
    reconcilePass({
      source: { repo: git.repoUrl(repo), ref: 'main', cacheDir, token: git.token, username: git.username },
      namespace: ns,
      management: cluster.kc,
      dryRun,
      log: createLogger({ level: 'error', sink: () => {} }),
      metrics: createMetrics({ defaultMetrics: false }),
    });
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const store = new KspecStore(cluster.kc);
  const read = async (name: string) => {
    try {
      return (await objects.read({ apiVersion: 'policies.kyverno.io/v1', kind: 'ValidatingPolicy', metadata: { name } })) as LivePolicy;
    } catch {
      return undefined;
    }
  };
  for (const [name, labels] of [['labeled', { app: 'web' }], ['unlabeled', {}]] as const) {
    await objects.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] } } as KubernetesObject);
  }

  const first = await pass();
  assert.equal(first.ok, true, JSON.stringify(first.specs.map((s) => s.errors)));
  const enforced = first.specs.find((s) => s.plan.name === `enf-${id}`)!;
  assert.deepEqual(enforced.actions.map((a) => [a.drift.type, a.action]), [['missing', 'created']]);
  const live = await read(`va-${id}`);
  assert.deepEqual(live?.spec.validationActions, ['Deny']);
  assert.equal(live?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'kspec');
  assert.equal(live?.metadata?.labels?.['kspec.io/check'], 'a');

  // Compliance comes from the engine evaluating the CEL policy on the live Pods, in both modes.
  for (const name of [`enf-${id}`, `mon-${id}`]) {
    const compliance = await store.get<ComplianceReport>('ComplianceReport', ns, `${name}-local`);
    assert.equal(compliance?.status?.source, 'engine', name);
    assert.deepEqual(compliance?.status?.policyResults.map((r) => [r.policyID, r.status, r.violations.map((v) => `${v.namespace}/${v.resource}`)]), [['labels', 'violation', [`${ns}/Pod/unlabeled`]]], name);
  }
  const monitored = await store.get<DriftReport>('DriftReport', ns, `mon-${id}-local`);
  assert.ok(monitored?.status?.driftEvents.some((e) => e.resourceName === `vb-${id}` && e.resourceKind === 'ValidatingPolicy'), JSON.stringify(monitored?.status?.driftEvents));

  // A second pass: the CRD's defaults and the version the server lists at are not drift.
  const second = await pass();
  assert.deepEqual(second.specs.find((s) => s.plan.name === `enf-${id}`)!.actions, []);

  // Someone switches the policy to Audit: reported with its field, and reverted.
  await objects.patch({ apiVersion: 'policies.kyverno.io/v1', kind: 'ValidatingPolicy', metadata: { name: `va-${id}` }, spec: { validationActions: ['Audit'] } } as KubernetesObject, undefined, undefined, 'kubectl-edit', undefined, PatchStrategy.MergePatch);
  const plan = await pass(true);
  const [planned] = plan.specs.find((s) => s.plan.name === `enf-${id}`)!.actions;
  assert.deepEqual([planned.drift.type, planned.drift.event.resourceKind, planned.action], ['modified', 'ValidatingPolicy', 'dry-run']);
  assert.deepEqual(planned.drift.event.fields, [{ path: 'spec.validationActions[0]', desired: '"Deny"', live: '"Audit"' }]);
  await pass();
  assert.deepEqual((await read(`va-${id}`))?.spec.validationActions, ['Deny']);
});

test('an identity without rights to ValidatingPolicies (RBAC from before them) still lists the classic kinds, and sees no ValidatingPolicy', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('vpol-rbac');
  const name = `classic-reader-${ns.slice(-8)}`;
  const rbac = cluster.kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createClusterRole({ body: { metadata: { name }, rules: [{ apiGroups: ['kyverno.io'], resources: ['clusterpolicies', 'policies'], verbs: ['get', 'list', 'watch'] }] } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }] } });
  t.after(async () => {
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
  });
  await KubernetesObjectApi.makeApiClient(cluster.kc).create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: ns } } as KubernetesObject);
  const kc = new KubeConfig();
  kc.loadFromFile(await cluster.serviceAccountKubeconfig(ns, 'reader'));
  const client = new PolicyClient(kc);
  const selector = `kspec.io/spec=nothing-${ns}`;
  // RBAC takes a moment to apply to a new binding.
  for (let i = 0; i < 100 && !(await client.list(selector).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(await client.list(selector), []);
  // Creating one is refused with the same 403, named: the spec says so instead of a silent gap.
  await assert.rejects(client.create({ apiVersion: 'policies.kyverno.io/v1', kind: 'ValidatingPolicy', metadata: { name: `vp-${ns}` }, spec: {} }), (err: Error & { code?: number }) => err.code === 403 && /create ValidatingPolicy\/vp-/.test(err.message));
});
