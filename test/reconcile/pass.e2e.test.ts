// The reconcile pass end to end: a real Git smart-HTTP server with token auth, a real
// kube-apiserver with the Kyverno CRDs, and the real pass. Every test has its own namespace,
// spec names and policy names, so the tests run in parallel on one API server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { kubeconfigSecret, policyYaml, specYaml } from '../support/operator.ts';
import { passFixture } from '../support/pass-fixture.ts';
import type { PassFixture } from '../support/pass-fixture.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';
import type { ClusterSpecification, ClusterTarget, ComplianceReport, DriftReport } from '../../src/api/types.ts';

type Fixture = PassFixture;
const setup = passFixture;

type LivePolicy = KubernetesObject & { spec: Record<string, unknown> };

async function getPolicy(f: Fixture, name: string): Promise<LivePolicy | undefined> {
  try {
    return (await f.objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name } })) as LivePolicy;
  } catch {
    return undefined;
  }
}

const spec = (r: PassResult, name: string) => r.specs.find((s) => s.plan.name === name)!;

test('a pass on an empty cluster applies everything and publishes status, reports and metrics', async (t) => {
  const f = await setup(t, (ns, id) => ({
    'specs/enforced.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }), b: policyYaml(`b-${id}`, { namespace: ns }) } }),
    'specs/monitored.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', checks: { c: policyYaml(`c-${id}`, { namespace: ns }) } }),
  }));
  if (!f) return;
  const pod = (name: string, labels: Record<string, string>) =>
    f.objects.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: f.ns, labels }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] } } as KubernetesObject);
  await pod('labeled', { app: 'web' });
  await pod('unlabeled', {});
  const result = await f.pass();
  assert.equal(result.ok, true, JSON.stringify(result.specs.map((s) => s.errors)));
  const enforced = spec(result, `enf-${f.id}`);
  assert.deepEqual(enforced.actions.map((a) => [a.drift.type, a.action]), [['missing', 'created'], ['missing', 'created']]);
  assert.equal(enforced.remaining.length, 0);
  const live = await getPolicy(f, `a-${f.id}`);
  assert.equal(live?.spec.validationFailureAction, 'Enforce');
  assert.equal(live?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'kspec');
  assert.equal(live?.metadata?.annotations?.['kspec.io/source-commit'], result.commit);
  assert.equal((await getPolicy(f, `c-${f.id}`))?.spec.validationFailureAction, 'Audit', 'monitor mode installs the policy in Audit');

  const mirror = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `enf-${f.id}`);
  assert.equal(mirror?.status?.phase, 'Active');
  assert.equal(mirror?.status?.sourceCommit, result.commit);
  assert.equal(mirror?.status?.observedGeneration, mirror?.metadata.generation);
  assert.deepEqual(mirror?.status?.conditions?.map((c) => [c.type, c.status]), [['Ready', 'True'], ['Synced', 'True'], ['Drifted', 'True']]);
  assert.deepEqual(spec(result, `mon-${f.id}`).actions.map((a) => [a.drift.type, a.drift.event.resourceName, a.action]), [['missing', `c-${f.id}`, 'created']]);
  // Compliance comes from the engine (no Kyverno runs here, so there are no policy reports):
  // the unlabeled Pod violates the label policy, in enforce and in monitor mode alike.
  for (const name of [`enf-${f.id}`, `mon-${f.id}`]) {
    const compliance: ComplianceReport | undefined = await f.store.get<ComplianceReport>('ComplianceReport', f.ns, `${name}-local`);
    assert.equal(compliance?.status?.source, 'engine');
    assert.equal(compliance?.status?.complianceScore, 0);
    assert.equal(compliance?.status?.violationCount, 1);
    assert.deepEqual(compliance?.status?.policyResults.map((r) => [r.policyID, r.status, r.violations.map((v) => `${v.namespace}/${v.resource}`)]), [['labels', 'violation', [`${f.ns}/Pod/unlabeled`]]]);
  }

  const text = await f.metrics.registry.metrics();
  assert.match(text, new RegExp(`kspec_compliance_score\\{cluster="local",spec="enf-${f.id}"\\} 0`));
  assert.match(text, new RegExp(`kspec_drift_events_total\\{cluster="local",spec="enf-${f.id}",type="missing"\\} 2`));
  assert.match(text, new RegExp(`kspec_policies\\{cluster="local",spec="enf-${f.id}",state="in_sync"\\} 2`));
  assert.match(text, new RegExp(`kspec_policy_violations_total\\{cluster="local",spec="mon-${f.id}",policy="labels",severity="high"\\} 1`));

  // A second pass finds nothing to do, updates the same report objects and counts no new drift.
  const again = await f.pass();
  assert.deepEqual(spec(again, `enf-${f.id}`).actions, []);
  assert.deepEqual(spec(again, `mon-${f.id}`).actions, []);
  const reports = await f.store.listManaged<DriftReport>('DriftReport');
  assert.equal(reports.filter((r) => r.metadata.namespace === f.ns).length, 2);
  const after = await f.metrics.registry.metrics();
  assert.match(after, new RegExp(`kspec_drift_events_total\\{cluster="local",spec="enf-${f.id}",type="missing"\\} 2`));
  assert.match(after, new RegExp(`kspec_policy_violations_total\\{cluster="local",spec="mon-${f.id}",policy="labels",severity="high"\\} 1`), 'a standing violation counts once');
});

test('out-of-band edits: a changed failure action is reported with its field and reverted; a deleted policy is re-created', async (t) => {
  const f = await setup(t, (ns, id) => ({ 'specs/s.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }), b: policyYaml(`b-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  await f.pass();
  await f.objects.patch({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `a-${f.id}` }, spec: { validationFailureAction: 'Audit' } } as KubernetesObject, undefined, undefined, 'kubectl-edit', undefined, PatchStrategy.MergePatch);
  await f.objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `b-${f.id}` } });

  const plan = await f.pass({ dryRun: true });
  const planned = spec(plan, `enf-${f.id}`);
  assert.deepEqual(planned.actions.map((a) => [a.drift.type, a.drift.event.resourceName, a.action]), [['modified', `a-${f.id}`, 'dry-run'], ['missing', `b-${f.id}`, 'dry-run']]);
  assert.deepEqual(planned.actions[0].drift.event.fields, [{ path: 'spec.validationFailureAction', desired: '"Enforce"', live: '"Audit"' }]);
  assert.equal((await getPolicy(f, `a-${f.id}`))?.spec.validationFailureAction, 'Audit', 'dry run changes nothing');

  const result = await f.pass();
  assert.deepEqual(spec(result, `enf-${f.id}`).actions.map((a) => a.action), ['applied', 'created']);
  assert.equal((await getPolicy(f, `a-${f.id}`))?.spec.validationFailureAction, 'Enforce');
  assert.ok(await getPolicy(f, `b-${f.id}`));
  const report = await f.store.get<DriftReport>('DriftReport', f.ns, `enf-${f.id}-local`);
  const modified = report?.status?.driftEvents.find((e) => e.type === 'modified');
  assert.match(modified?.message ?? '', /spec\.validationFailureAction/);
  assert.match(modified?.diff ?? '', /^-  validationFailureAction: Audit$/m);
});

test('a stray policy with the spec\'s labels is extra: deleted with remediation auto, left alone with report; unowned policies are never touched', async (t) => {
  const f = await setup(t, (ns, id) => ({
    'specs/enf.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }),
    'specs/mon.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', remediation: 'report', checks: { b: policyYaml(`b-${id}`, { namespace: ns }) } }),
  }));
  if (!f) return;
  const owned = (spec: string) => ({ 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': spec, 'kspec.io/spec-namespace': f.ns, 'kspec.io/policy': 'labels' });
  const create = (name: string, labels: Record<string, string>, message = 'unowned') =>
    f.objects.create({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name, labels }, spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message, pattern: { metadata: { name: '?*' } } } }] } } as KubernetesObject);
  await create(`stray-enf-${f.id}`, owned(`enf-${f.id}`));
  await create(`stray-mon-${f.id}`, owned(`mon-${f.id}`));
  await create(`someone-elses-${f.id}`, { team: 'security' });
  await create(`a-${f.id}`, { team: 'security' }, 'not kspec\'s'); // same name as a desired policy

  const planned = await f.pass({ dryRun: true });
  assert.deepEqual(spec(planned, `enf-${f.id}`).actions.map((a) => a.action), ['failed', 'dry-run'], 'the server-side dry run already sees the name taken');
  assert.ok(await getPolicy(f, `stray-enf-${f.id}`), 'a dry run deletes nothing');
  const result = await f.pass();
  const enforced = spec(result, `enf-${f.id}`);
  assert.deepEqual(enforced.actions.map((a) => [a.drift.type, a.drift.event.resourceName, a.action]), [['missing', `a-${f.id}`, 'failed'], ['extra', `stray-enf-${f.id}`, 'deleted']]);
  assert.match(enforced.errors.join('\n'), /exists but is not managed by this spec; kspec leaves it alone/);
  assert.equal(await getPolicy(f, `stray-enf-${f.id}`), undefined);
  const monitored = spec(result, `mon-${f.id}`);
  assert.deepEqual(monitored.actions.map((a) => [a.drift.type, a.drift.event.resourceName, a.action]), [['missing', `b-${f.id}`, 'none'], ['extra', `stray-mon-${f.id}`, 'none']]);
  assert.ok(await getPolicy(f, `stray-mon-${f.id}`), 'remediation report deletes nothing');
  assert.ok(await getPolicy(f, `someone-elses-${f.id}`), 'unowned policies are never touched');
  const namesake = await getPolicy(f, `a-${f.id}`);
  assert.equal(namesake?.metadata?.labels?.team, 'security');
  assert.equal(namesake?.metadata?.labels?.['app.kubernetes.io/managed-by'], undefined, 'an unowned namesake is not taken over');
});

test('a new commit that changes a check is applied on the next pass', async (t) => {
  const f = await setup(t, (ns, id) => ({ 'specs/s.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  const first = await f.pass();
  const sha = await f.git.commit(f.repo, { 'specs/s.yaml': specYaml(`enf-${f.id}`, f.ns, { mode: 'enforce', checks: { a: policyYaml(`a-${f.id}`, { namespace: f.ns, message: 'every Pod needs the app label' }) } }) }, 'Reword the label message');
  const second = await f.pass();
  assert.notEqual(second.commit, first.commit);
  assert.equal(second.commit, sha);
  assert.deepEqual(spec(second, `enf-${f.id}`).actions.map((a) => [a.drift.type, a.action]), [['modified', 'applied']]);
  const live = await getPolicy(f, `a-${f.id}`);
  assert.equal((live?.spec.rules as { validate: { message: string } }[])[0].validate.message, 'every Pod needs the app label');
  assert.equal(live?.metadata?.annotations?.['kspec.io/source-commit'], sha);
});

test('a broken spec file marks that spec Failed with file and line, deletes nothing, and other specs still reconcile', async (t) => {
  const f = await setup(t, (ns, id) => ({
    'specs/broken.yaml': specYaml(`brk-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }), b: policyYaml(`b-${id}`, { namespace: ns }) } }),
    'specs/fine.yaml': specYaml(`ok-${id}`, ns, { mode: 'enforce', checks: { c: policyYaml(`c-${id}`, { namespace: ns }) } }),
  }));
  if (!f) return;
  await f.pass();
  // The broken commit drops check b and misspells the mode: nothing may be pruned because of it.
  await f.git.commit(f.repo, {
    'specs/broken.yaml': specYaml(`brk-${f.id}`, f.ns, { mode: 'enforcing', checks: { a: policyYaml(`a-${f.id}`, { namespace: f.ns }) } }),
    'specs/fine.yaml': specYaml(`ok-${f.id}`, f.ns, { mode: 'enforce', checks: { c: policyYaml(`c-${f.id}`, { namespace: f.ns }), d: policyYaml(`d-${f.id}`, { namespace: f.ns }) } }),
  }, 'Break one spec, extend the other');
  const result = await f.pass();
  const broken = spec(result, `brk-${f.id}`);
  assert.equal(broken.phase, 'Failed');
  assert.match(broken.errors.join('\n'), /^specs\/broken\.yaml:9:\d+: spec\.enforcementMode: must be one of: monitor, enforce$/m);
  assert.ok(await getPolicy(f, `b-${f.id}`), 'the last good state stays in effect');
  assert.equal(spec(result, `ok-${f.id}`).phase, 'Active');
  assert.ok(await getPolicy(f, `d-${f.id}`), 'the other spec still reconciles');
  const mirror = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `brk-${f.id}`);
  assert.equal(mirror?.status?.phase, 'Failed');
  const ready = mirror?.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.reason, 'InvalidSpecLastGoodKept');
  assert.match(ready?.message ?? '', /specs\/broken\.yaml:9/);

  // A YAML syntax error hides the spec's name; the mirror's source file still ties it to the spec.
  await f.git.commit(f.repo, { 'specs/broken.yaml': 'apiVersion: kspec.io/v1alpha1\nkind: [ClusterSpecification\n' }, 'Garble the file');
  const garbled = spec(await f.pass(), `brk-${f.id}`);
  assert.equal(garbled.phase, 'Failed');
  assert.match(garbled.errors.join('\n'), /specs\/broken\.yaml:\d+:\d+: invalid YAML/);
  assert.ok(await getPolicy(f, `a-${f.id}`));
  assert.ok(await getPolicy(f, `b-${f.id}`));
});

test('a Git failure never prunes: the pass keeps the last good state and the next pass recovers', async (t) => {
  const f = await setup(t, (ns, id) => ({ 'specs/s.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  await f.pass();
  await f.objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `a-${f.id}` } });
  const failed = await f.pass({ token: 'wrong-token' });
  assert.equal(failed.ok, false);
  assert.match(failed.fetchError ?? '', /cannot fetch/);
  assert.doesNotMatch(failed.fetchError ?? '', /wrong-token/);
  const held = spec(failed, `enf-${f.id}`);
  assert.equal(held.plan.desiredFrom, 'last-good');
  assert.deepEqual(held.actions.map((a) => [a.drift.type, a.action]), [['missing', 'created']], 'the last good state is still enforced');
  const mirror = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `enf-${f.id}`);
  assert.equal(mirror?.status?.phase, 'Failed');
  assert.match(await f.metrics.registry.metrics(), /kspec_git_fetch_failures_total 1/);
  assert.ok(!f.logs.join('\n').includes('wrong-token'), 'the token never reaches the logs');

  const recovered = await f.pass();
  assert.equal(recovered.ok, true);
  assert.equal((await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `enf-${f.id}`))?.status?.phase, 'Active');
});

test('targets: a remote kubeconfig from a Secret, a version mismatch finding, and an unreachable cluster that fails only its own spec', async (t) => {
  const f = await setup(t, (ns, id) => ({
    'targets/remote.yaml': `apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata: {name: remote, namespace: ${ns}}\nspec:\n  kubeconfig: {secretRef: {name: remote-kubeconfig}}\n  platform: eks\n  version: "1.28.0"\n`,
    'targets/dead.yaml': `apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata: {name: dead, namespace: ${ns}}\nspec:\n  kubeconfig: {secretRef: {name: dead-kubeconfig, key: config}}\n  version: "1.20"\n`,
    'specs/remote.yaml': specYaml(`rem-${id}`, ns, { mode: 'enforce', target: 'remote', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }),
    'specs/dead.yaml': specYaml(`dead-${id}`, ns, { mode: 'enforce', target: 'dead', checks: { b: policyYaml(`b-${id}`, { namespace: ns }) } }),
  }));
  if (!f) return;
  const { readFileSync } = await import('node:fs');
  const kubeconfig = readFileSync(f.cluster.kubeconfigPath, 'utf8');
  const dead = kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9');
  await kubeconfigSecret(f.cluster, f.ns, 'remote-kubeconfig', kubeconfig);
  await kubeconfigSecret(f.cluster, f.ns, 'dead-kubeconfig', dead, 'config');

  const result = await f.pass();
  assert.equal(spec(result, `rem-${f.id}`).phase, 'Active', spec(result, `rem-${f.id}`).errors.join('\n'));
  assert.ok(await getPolicy(f, `a-${f.id}`), 'applied through the kubeconfig from the Secret');
  const failed = spec(result, `dead-${f.id}`);
  assert.equal(failed.phase, 'Failed');
  assert.match(failed.errors.join('\n'), /^target: cluster dead: /m);

  const remote = await f.store.get<ClusterTarget>('ClusterTarget', f.ns, 'remote');
  assert.equal(remote?.status?.serverVersion, 'v1.20.2');
  assert.deepEqual(remote?.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'Connected'], ['VersionMatched', 'False', 'VersionMismatch']]);
  const compliance = await f.store.get<ComplianceReport>('ComplianceReport', f.ns, `rem-${f.id}-remote`);
  assert.deepEqual(compliance?.status?.findings, [{ type: 'VersionMismatch', message: 'the ClusterTarget expects Kubernetes 1.28.0, the cluster runs v1.20.2' }]);
  const deadTarget = await f.store.get<ClusterTarget>('ClusterTarget', f.ns, 'dead');
  assert.deepEqual(deadTarget?.status?.conditions?.map((c) => [c.type, c.status]), [['Ready', 'False'], ['VersionMatched', 'Unknown']]);
  const mirror = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `dead-${f.id}`);
  assert.equal(mirror?.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'TargetFailed');
});

test('Kubernetes Events record drift found and actions taken', async (t) => {
  const f = await setup(t, (ns, id) => ({ 'specs/s.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  await f.pass();
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const events = await f.cluster.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: f.ns });
  const seen = events.items.map((e) => [e.involvedObject.kind, e.involvedObject.name, e.type, e.reason]);
  assert.deepEqual(seen.sort(), [
    ['ClusterSpecification', `enf-${f.id}`, 'Normal', 'PolicyCreated'],
    ['ClusterSpecification', `enf-${f.id}`, 'Warning', 'DriftDetected'],
  ]);
  // Drift that kspec fixed and that comes back is announced again.
  await f.objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `a-${f.id}` } });
  await f.pass();
  const recurring = await f.cluster.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: f.ns });
  assert.equal(recurring.items.filter((e) => e.involvedObject.name === `enf-${f.id}` && e.reason === 'DriftDetected').length, 2);
  // Standing drift (remediation report) is announced once, not on every pass.
  await f.git.commit(f.repo, { 'specs/m.yaml': specYaml(`mon-${f.id}`, f.ns, { mode: 'monitor', remediation: 'report', checks: { b: policyYaml(`b-${f.id}`, { namespace: f.ns }) } }) }, 'Add a monitored spec');
  await f.pass();
  await f.pass();
  const again = await f.cluster.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: f.ns });
  const monitored = again.items.filter((e) => e.involvedObject.name === `mon-${f.id}`).map((e) => e.reason);
  assert.deepEqual(monitored, ['DriftDetected']);
});

test('a spec removed from Git by a clean commit prunes its policies (remediation auto) and then its mirror and reports; a commit with errors retires nothing', async (t) => {
  const f = await setup(t, (ns, id) => ({
    'specs/gone.yaml': specYaml(`gone-${id}`, ns, { mode: 'monitor', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }),
    'specs/watched.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', remediation: 'report', checks: { b: policyYaml(`b-${id}`, { namespace: ns }) } }),
    'specs/stays.yaml': specYaml(`stay-${id}`, ns, { mode: 'enforce', checks: { c: policyYaml(`c-${id}`, { namespace: ns }) } }),
  }));
  if (!f) return;
  await f.pass();
  // Removing the specs together with breaking another file: the error could hide them, so keep all.
  await f.git.commit(f.repo, { 'specs/gone.yaml': null, 'specs/stays.yaml': 'kind: [broken\n' }, 'Remove a spec, break another');
  const held = await f.pass();
  assert.equal(held.specs.some((s) => s.plan.retired), false);
  assert.ok(await getPolicy(f, `a-${f.id}`));

  await f.git.commit(f.repo, { 'specs/watched.yaml': null, 'specs/stays.yaml': specYaml(`stay-${f.id}`, f.ns, { mode: 'enforce', checks: { c: policyYaml(`c-${f.id}`, { namespace: f.ns }) } }) }, 'Retire two specs cleanly');
  // Remediation report never deletes, retired or not: someone installed the report-only spec's policy by hand.
  await f.objects.create({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `b-${f.id}`, labels: { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': `mon-${f.id}`, 'kspec.io/spec-namespace': f.ns, 'kspec.io/policy': 'labels' } }, spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { pattern: { metadata: { name: '?*' } } } }] } } as KubernetesObject);
  const monitored = await f.pass({ dryRun: true });
  assert.deepEqual(monitored.specs.filter((s) => s.plan.retired).map((s) => s.plan.name).sort(), [`gone-${f.id}`, `mon-${f.id}`]);
  assert.deepEqual(spec(monitored, `gone-${f.id}`).actions.map((a) => a.action), ['dry-run']);
  assert.ok(await getPolicy(f, `a-${f.id}`), 'a dry run deletes nothing');
  const result = await f.pass();
  const gone = spec(result, `gone-${f.id}`);
  assert.deepEqual(gone.actions.map((a) => [a.drift.type, a.drift.event.resourceName, a.action]), [['extra', `a-${f.id}`, 'deleted']]);
  assert.equal(await getPolicy(f, `a-${f.id}`), undefined);
  assert.ok(await getPolicy(f, `c-${f.id}`), 'the remaining spec keeps its policy');
  assert.deepEqual(spec(result, `mon-${f.id}`).actions.map((a) => [a.drift.type, a.action]), [['extra', 'none']]);
  assert.ok(await getPolicy(f, `b-${f.id}`), 'a retired report-only spec leaves its policies');
  const watched = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `mon-${f.id}`);
  assert.match(watched?.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /remediation report deletes nothing/);
  // The next pass finds nothing left of it and removes its mirror and reports.
  await f.pass();
  assert.equal(await f.store.get('ClusterSpecification', f.ns, `gone-${f.id}`), undefined);
  assert.equal(await f.store.get('DriftReport', f.ns, `gone-${f.id}-local`), undefined);
  assert.ok(await f.store.get('ClusterSpecification', f.ns, `mon-${f.id}`), 'a retired report-only spec stays while a policy carries its labels');
  assert.ok(await f.store.get('ClusterSpecification', f.ns, `stay-${f.id}`));
});

test('a pass whose replica lost the lease (aborted signal) observes but neither acts nor publishes', async (t) => {
  const f = await setup(t, (ns, id) => ({ 'specs/s.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  const lost = new AbortController();
  lost.abort();
  const result = await f.pass({ signal: lost.signal });
  const outcome = spec(result, `enf-${f.id}`);
  assert.deepEqual(outcome.actions.map((a) => [a.drift.type, a.action]), [['missing', 'none']]);
  assert.match(outcome.errors.join('\n'), /lost the lease/);
  assert.equal(await getPolicy(f, `a-${f.id}`), undefined);
  assert.equal(await f.store.get('ClusterSpecification', f.ns, `enf-${f.id}`), undefined, 'nothing published');
});

test('an idle pass writes nothing: mirror, status, reports and target keep their resourceVersion until the report refresh is due', async (t) => {
  const f = await setup(t, (ns, id) => ({ 'specs/s.yaml': specYaml(`idle-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`idle-a-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  await f.pass(); // creates the policy: drift found and fixed
  await f.pass(); // in sync: status and drift report say so
  const versions = async () => {
    const name = `idle-${f.id}`;
    const objects = [
      await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, name),
      await f.store.get<DriftReport>('DriftReport', f.ns, `${name}-local`),
      await f.store.get<ComplianceReport>('ComplianceReport', f.ns, `${name}-local`),
      await f.store.get<ClusterTarget>('ClusterTarget', f.ns, 'local'),
    ];
    return objects.map((o) => o?.metadata.resourceVersion);
  };
  const before = await versions();
  assert.ok(before.every(Boolean), `every object exists: ${before}`);
  const idle = await f.pass();
  assert.equal(idle.ok, true);
  assert.deepEqual(await versions(), before, 'nothing changed, so nothing was written');

  // Once the refresh is due, the unchanged reports and status are rewritten with a new timestamp.
  const drift = await f.store.get<DriftReport>('DriftReport', f.ns, `idle-${f.id}-local`);
  await f.pass({ reportRefreshMs: 0 });
  const after = await versions();
  assert.notEqual(after[0], before[0], 'the status was refreshed');
  assert.notEqual(after[1], before[1], 'the drift report was refreshed');
  assert.equal(after[3], before[3], 'the target did not change');
  const refreshed = await f.store.get<DriftReport>('DriftReport', f.ns, `idle-${f.id}-local`);
  assert.ok(Date.parse(refreshed!.spec.timestamp) >= Date.parse(drift!.spec.timestamp));
});

test('monitor installs and keeps every policy in Audit; switching to enforce flips them to Enforce; remediation report writes nothing', async (t) => {
  // The check's author set Enforce on the rule and for one namespace: monitor must not keep either.
  const blocking = policyYaml('x', {}).replace('name: x', 'NAME').replace('      validate:\n', '      validate:\n        failureAction: Enforce\n        failureActionOverrides:\n          - {action: Enforce, namespaces: [payments]}\n');
  const check = (name: string) => blocking.replace('NAME', `name: ${name}`);
  const f = await setup(t, (ns, id) => ({
    'specs/mon.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', checks: { a: check(`a-${id}`), b: policyYaml(`b-${id}`, { namespace: ns }) } }),
    'specs/report.yaml': specYaml(`rep-${id}`, ns, { mode: 'enforce', remediation: 'report', checks: { c: policyYaml(`c-${id}`, { namespace: ns }) } }),
  }));
  if (!f) return;
  const first = await f.pass();
  assert.equal(first.ok, true, JSON.stringify(first.specs.map((s) => s.errors)));
  assert.deepEqual(spec(first, `mon-${f.id}`).actions.map((a) => [a.drift.type, a.action]), [['missing', 'created'], ['missing', 'created']]);
  for (const name of [`a-${f.id}`, `b-${f.id}`]) {
    const live = await getPolicy(f, name);
    assert.equal(live?.spec.validationFailureAction, 'Audit', name);
    assert.ok(!JSON.stringify(live?.spec).includes('Enforce'), `${name}: nothing in a monitor policy blocks`);
  }
  assert.equal(await getPolicy(f, `c-${f.id}`), undefined, 'remediation report creates nothing');
  assert.deepEqual(spec(first, `rep-${f.id}`).actions.map((a) => [a.drift.type, a.action]), [['missing', 'none']]);

  // The next pass: the monitor spec is clean (what plan shows, what the DriftReport and conditions say).
  const second = await f.pass();
  assert.deepEqual(spec(second, `mon-${f.id}`).actions, []);
  const report = await f.store.get<DriftReport>('DriftReport', f.ns, `mon-${f.id}-local`);
  assert.equal(report?.status?.driftDetected, false);
  assert.deepEqual(report?.status?.driftEvents, []);
  const mirror = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `mon-${f.id}`);
  assert.deepEqual(mirror?.status?.conditions?.map((c) => [c.type, c.status]), [['Ready', 'True'], ['Synced', 'True'], ['Drifted', 'False']]);
  const reportOnly = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `rep-${f.id}`);
  assert.equal(reportOnly?.status?.conditions?.find((c) => c.type === 'Synced')?.reason, 'ReportOnly');

  // Monitor keeps Audit: someone switching a policy to Enforce by hand is reverted.
  await f.objects.patch({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `b-${f.id}` }, spec: { validationFailureAction: 'Enforce' } } as KubernetesObject, undefined, undefined, 'kubectl-edit', undefined, PatchStrategy.MergePatch);
  assert.deepEqual(spec(await f.pass(), `mon-${f.id}`).actions.map((a) => [a.drift.type, a.action]), [['modified', 'applied']]);
  assert.equal((await getPolicy(f, `b-${f.id}`))?.spec.validationFailureAction, 'Audit');

  // Switching the spec to enforce flips its policies, the rule-level failure action included.
  await f.git.commit(f.repo, { 'specs/mon.yaml': specYaml(`mon-${f.id}`, f.ns, { mode: 'enforce', checks: { a: check(`a-${f.id}`), b: policyYaml(`b-${f.id}`, { namespace: f.ns }) } }) }, 'Enforce');
  const flipped = await f.pass();
  assert.deepEqual(spec(flipped, `mon-${f.id}`).actions.map((a) => [a.drift.type, a.action]), [['modified', 'applied'], ['modified', 'applied']]);
  const a = await getPolicy(f, `a-${f.id}`);
  assert.equal(a?.spec.validationFailureAction, 'Enforce');
  const rule = (a?.spec.rules as { validate: { failureAction: string; failureActionOverrides: unknown[] } }[])[0];
  assert.equal(rule.validate.failureAction, 'Enforce');
  assert.deepEqual(rule.validate.failureActionOverrides, [{ action: 'Enforce', namespaces: ['payments'] }]);
  assert.equal((await getPolicy(f, `b-${f.id}`))?.spec.validationFailureAction, 'Enforce');
  // And back: monitor drops the Enforce override again (a field kspec owned and no longer wants).
  await f.git.commit(f.repo, { 'specs/mon.yaml': specYaml(`mon-${f.id}`, f.ns, { mode: 'monitor', checks: { a: check(`a-${f.id}`), b: policyYaml(`b-${f.id}`, { namespace: f.ns }) } }) }, 'Back to monitor');
  await f.pass();
  const back = await getPolicy(f, `a-${f.id}`);
  assert.ok(!JSON.stringify(back?.spec).includes('Enforce'), JSON.stringify(back?.spec));
  assert.equal(await getPolicy(f, `c-${f.id}`), undefined, 'remediation report still wrote nothing');
});
