// Tampering inside a policy's spec, on the real API server with the Kyverno stand-in CRDs: the
// server form is learned by dry run and cached, a narrowed match plus an added exclude is drift
// (plan exits 1, an enforce pass reverts it), Argo CD-style labels and annotations are not, and
// a refused dry run falls back on the normalizer table and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { cli } from '../support/cli.ts';
import { PolicyClient } from '../../src/cluster/policy-client.ts';
import { ServerFormCache } from '../../src/cluster/server-form.ts';
import { observeDrift, withoutServerFormNote } from '../../src/reconcile/observe-drift.ts';
import { ownedBySpecSelector } from '../../src/render/ownership.ts';
import { renderSpec } from '../../src/render/render.ts';
import { loadSpecs } from '../../src/spec/load.ts';
import type { SpecPlan } from '../../src/reconcile/spec-plan.ts';
import type { KyvernoPolicy } from '../../src/render/desired-policy.ts';
import { testCluster } from '../support/cluster.ts';
import type { TestCluster } from '../support/cluster.ts';
import { inClusterTarget, policyYaml, specYaml, waitFor } from '../support/operator.ts';

/** A spec repository on disk with one enforce spec of two policies, `guarded-<id>` and `argo-<id>`. */
function specRepo(ns: string, id: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-tamper-'));
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'specs/target.yaml'), inClusterTarget(ns));
  writeFileSync(join(dir, 'specs/spec.yaml'), specYaml(`tamper-${id}`, ns, { mode: 'enforce', checks: { guarded: policyYaml(`guarded-${id}`), argo: policyYaml(`argo-${id}`) } }));
  return dir;
}

const ref = (name: string) => ({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } });
type LivePolicy = KubernetesObject & { spec: { rules: Record<string, any>[] } };

/**
 * The out-of-band edit of issue 14, as `kubectl edit` makes it: match narrowed to a namespace
 * that does not exist, kube-system excluded; and, outside the rules, `failurePolicy: Ignore`
 * (a field server-side apply would leave to the manager that added it).
 */
async function disable(objects: KubernetesObjectApi, name: string): Promise<void> {
  const live = (await objects.read(ref(name))) as LivePolicy & { spec: { failurePolicy?: string } };
  live.spec.failurePolicy = 'Ignore';
  const [rule] = live.spec.rules;
  rule.match = { any: [{ resources: { kinds: ['Pod'], namespaces: ['does-not-exist'] } }] };
  rule.exclude = { any: [{ resources: { namespaces: ['kube-system'] } }] };
  await objects.replace(live, undefined, undefined, 'kubectl-edit');
}

/** What Argo CD adds when it tracks a resource: an instance label, tracking and sync annotations. */
async function trackWithArgoCd(objects: KubernetesObjectApi, name: string): Promise<void> {
  await objects.patch(
    {
      ...ref(name),
      metadata: {
        name,
        labels: { 'app.kubernetes.io/instance': 'platform-policies' },
        annotations: {
          'argocd.argoproj.io/tracking-id': `platform-policies:kyverno.io/ClusterPolicy:/${name}`,
          'argocd.argoproj.io/sync-options': 'ServerSideApply=true',
          'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
        },
      },
    } as KubernetesObject,
    undefined, undefined, 'argocd-controller', undefined, PatchStrategy.MergePatch,
  );
}

test('a narrowed match plus an added exclude is drift: plan exits 1, an enforce pass reverts it; Argo CD labels and annotations are not drift', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('tamper');
  const id = ns.slice(-8);
  const repo = specRepo(ns, id);
  const env = { KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_LOG_LEVEL: 'error' };
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  t.after(async () => {
    for (const name of [`guarded-${id}`, `argo-${id}`]) await objects.delete(ref(name)).catch(() => undefined);
  });

  const applied = await cli(['reconcile', '--repo', repo], env);
  assert.equal(applied.code, 0, applied.out + applied.err);
  assert.equal((await cli(['plan', '--repo', repo], env)).code, 0, 'in sync right after applying: the server\'s defaults are not drift');

  await disable(objects, `guarded-${id}`);
  await trackWithArgoCd(objects, `argo-${id}`);

  const plan = await cli(['plan', '--repo', repo], env);
  assert.equal(plan.code, 1, plan.out + plan.err);
  assert.match(plan.out, new RegExp(`~ ClusterPolicy/guarded-${id}  modified \\(revert\\)`));
  assert.match(plan.out, /spec\.rules\[0\]\.match\.any\[0\]\.resources\.namespaces: \["does-not-exist"\] → <absent>/);
  assert.match(plan.out, /spec\.rules\[0\]\.exclude: \{"any":\[\{"resources":\{"namespaces":\["kube-system"\]\}\}\]\} → <absent>/);
  assert.match(plan.out, /spec\.failurePolicy: "Ignore" → <absent>/);
  assert.doesNotMatch(plan.out, new RegExp(`argo-${id}`), 'Argo CD tracking metadata is not drift');
  assert.doesNotMatch(plan.out, /note:/, 'the server form was learned: no fallback');

  const reverted = await cli(['reconcile', '--repo', repo, '-o', 'json'], env);
  assert.equal(reverted.code, 0, reverted.out + reverted.err);
  const [outcome] = JSON.parse(reverted.out).specs;
  assert.deepEqual(outcome.drift.driftEvents.map((e: { resourceName: string; action: string }) => [e.resourceName, e.action]), [[`guarded-${id}`, 'applied']]);
  const live = (await objects.read(ref(`guarded-${id}`))) as LivePolicy;
  assert.deepEqual(live.spec.rules[0].match, { any: [{ resources: { kinds: ['Pod'] } }] }, 'the match is the desired one again');
  assert.equal(live.spec.rules[0].exclude, undefined, 'the exclude is gone');
  assert.equal((live.spec as { failurePolicy?: string }).failurePolicy, undefined, 'so is the failurePolicy another manager added');
  const argo = await objects.read(ref(`argo-${id}`));
  assert.equal(argo.metadata?.labels?.['app.kubernetes.io/instance'], 'platform-policies', 'Argo CD\'s label is left alone');
  assert.equal(argo.metadata?.annotations?.['argocd.argoproj.io/tracking-id'], `platform-policies:kyverno.io/ClusterPolicy:/argo-${id}`);
  assert.equal((await cli(['plan', '--repo', repo], env)).code, 0);
});

function planOf(ns: string, id: string): SpecPlan {
  const load = loadSpecs(new Map([['specs/spec.yaml', specYaml(`forms-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`forms-a-${id}`), b: policyYaml(`forms-b-${id}`, { message: 'every Pod needs the app label' }) } })]]), { namespace: ns });
  const [loaded] = load.specs;
  return { key: `${ns}/forms-${id}`, source: 'test', name: `forms-${id}`, namespace: ns, spec: loaded.spec, sourceCommit: 'c0ffee', sourceFile: 'specs/spec.yaml', desired: renderSpec(loaded, 'c0ffee').policies, errors: [], desiredFrom: 'git' };
}

/** A PolicyClient that counts its dry runs. */
function counting(client: PolicyClient): { client: PolicyClient; dryRuns: () => number } {
  let n = 0;
  const storedForm = client.storedForm.bind(client);
  client.storedForm = (policy: KyvernoPolicy) => {
    n++;
    return storedForm(policy);
  };
  return { client, dryRuns: () => n };
}

test('the server form: learned by a dry run under a generated name, cached by content, so an idle pass makes no dry run', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('forms');
  const id = ns.slice(-8);
  const plan = planOf(ns, id);
  const { client, dryRuns } = counting(new PolicyClient(cluster.kc));
  t.after(async () => {
    for (const { object } of plan.desired) await client.delete(object).catch(() => undefined);
  });
  for (const { object } of plan.desired) await client.create(object);

  const forms = new ServerFormCache();
  const first = await observeDrift(plan, await client.list(ownedBySpecSelector(plan)), client, forms, 'local', new Date().toISOString());
  assert.deepEqual(first.unavailable, []);
  assert.equal(first.found.inSync.length, 2);
  assert.equal(dryRuns(), 2, 'one dry run per policy');
  // The stored form holds the stand-in CRD's defaults, and nothing was created by the dry run.
  const policies = await client.list(`kspec.io/spec=forms-${id}`);
  assert.deepEqual(policies.map((p) => p.metadata.name), [`forms-a-${id}`, `forms-b-${id}`]);

  const idle = await observeDrift(plan, await client.list(ownedBySpecSelector(plan)), client, forms, 'local', new Date().toISOString());
  assert.equal(idle.found.inSync.length, 2);
  assert.equal(dryRuns(), 2, 'an idle pass asks nothing');

  // A changed check: one new dry run, for the changed content only.
  const changed = structuredClone(plan);
  changed.desired[0].object.spec.background = false;
  await client.revert(changed.desired[0].object, (await client.list(ownedBySpecSelector(changed)))[0]);
  const afterChange = await observeDrift(changed, await client.list(ownedBySpecSelector(changed)), client, forms, 'local', new Date().toISOString());
  assert.deepEqual(afterChange.found.drifts.map((d) => d.event.fields), []);
  assert.equal(afterChange.found.inSync.length, 2);
  assert.equal(dryRuns(), 3, 'a changed check costs one dry run, for the changed policy only');

  // Tampering found against a cached form is confirmed with a fresh one before it is reported.
  await disableByMergePatch(cluster, `forms-b-${id}`);
  const tampered = await observeDrift(changed, await client.list(ownedBySpecSelector(changed)), client, forms, 'local', new Date().toISOString());
  assert.deepEqual(tampered.found.drifts.map((d) => [d.type, d.event.fields?.map((f) => f.path)]), [['modified', ['spec.rules[0].exclude']]]);
  assert.equal(dryRuns(), 4);
});

async function disableByMergePatch(cluster: TestCluster, name: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const live = (await objects.read(ref(name))) as LivePolicy;
  live.spec.rules[0].exclude = { any: [{ resources: { namespaces: ['kube-system'] } }] };
  await objects.replace(live, undefined, undefined, 'kubectl-edit');
}

test('a refused dry run (no create right) falls back on the normalizer table, says so, still finds tampering and prunes nothing', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('refused');
  const id = ns.slice(-8);
  const plan = planOf(ns, id);
  const admin = new PolicyClient(cluster.kc);
  t.after(async () => {
    for (const { object } of plan.desired) await admin.delete(object).catch(() => undefined);
  });
  for (const { object } of plan.desired) await admin.create(object);
  await disableByMergePatch(cluster, `forms-b-${id}`);

  // A read-only identity: it may list Kyverno policies, not create them (not even a dry run).
  const rbac = cluster.kc.makeApiClient(RbacAuthorizationV1Api);
  const name = `policy-reader-${id}`;
  await rbac.createClusterRole({ body: { metadata: { name }, rules: [{ apiGroups: ['kyverno.io'], resources: ['clusterpolicies', 'policies'], verbs: ['get', 'list', 'watch'] }] } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }] } });
  t.after(async () => {
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
  });
  await cluster.applyManifests([manifest(`apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: reader, namespace: ${ns}}\n`)]);
  const kc = new KubeConfig();
  kc.loadFromFile(await cluster.serviceAccountKubeconfig(ns, 'reader'));
  const { client, dryRuns } = counting(new PolicyClient(kc));
  await waitFor('the reader binding to take effect', 15_000, () => client.list(`kspec.io/spec=forms-${id}`).then((l) => l.length === 2, () => false));

  const forms = new ServerFormCache();
  const observed = await observeDrift(plan, await client.list(ownedBySpecSelector(plan)), client, forms, 'local', new Date().toISOString());
  assert.equal(observed.unavailable.length, 2);
  assert.match(withoutServerFormNote(observed.unavailable)!, /^2 policies compared without their server form \(dry run refused: dry-run create ClusterPolicy\/forms-a-\w+: HTTP 403: .*forbidden.*\); kspec's table of Kyverno defaults decided what is drift for them$/);
  assert.deepEqual(observed.found.drifts.map((d) => [d.type, d.event.resourceName, d.event.fields?.map((f) => f.path)]), [['modified', `forms-b-${id}`, ['spec.rules[0].exclude']]], 'the stand-in CRD\'s defaults are in the table; the exclude is still drift');
  assert.equal(observed.found.inSync.length, 1, 'nothing desired went missing, so nothing can look extra and be pruned');
  assert.equal(dryRuns(), 1, 'one refusal stops the other dry runs on that cluster');
  await observeDrift(plan, await client.list(ownedBySpecSelector(plan)), client, forms, 'local', new Date().toISOString());
  assert.equal(dryRuns(), 1, 'the refusal is remembered: idle passes do not repeat it');
});

function manifest(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kspec-manifest-')), 'manifest.yaml');
  writeFileSync(file, text);
  return file;
}
