// What the reports and the spec's status say after a pass, on the real API server: every field
// valid whatever the live policy lacks, a failed publish visible in status, drift dated from when
// it was first seen, conditions that never contradict, and printer columns that summarise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { policyYaml, specYaml } from '../support/operator.ts';
import { passFixture } from '../support/pass-fixture.ts';
import type { PassFixture } from '../support/pass-fixture.ts';
import { kubeRequest } from '../../scripts/lib/kube-http.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';
import { summaryText } from '../../src/cli/pass-output.ts';
import type { ClusterSpecification, Condition, DriftReport } from '../../src/api/types.ts';

const spec = (r: PassResult, name: string) => r.specs.find((s) => s.plan.name === name)!;
const at = (iso: string) => () => new Date(iso);
const conditions = async (f: PassFixture, name: string) => (await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, name))?.status?.conditions ?? [];
const condition = (list: Condition[], type: string) => list.find((c) => c.type === type)!;

/** The rows `kubectl get` prints, as the API server computes them from the printer columns. */
async function printed(f: PassFixture, plural: string, name: string): Promise<Record<string, unknown>> {
  const table = await kubeRequest(f.cluster.endpoint, 'GET', `/apis/kspec.io/v1alpha1/namespaces/${f.ns}/${plural}?fieldSelector=metadata.name=${name}`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  const body = table.json<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>();
  return Object.fromEntries(body.columnDefinitions.map((c, i) => [c.name, body.rows[0].cells[i]]));
}

test('an extra policy without a kspec.io/policy label is reported with valid fields, and the spec stays Active', async (t) => {
  const f = await passFixture(t, (ns, id) => ({ 'specs/mon.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  // The spec's ownership labels, but neither kspec.io/policy nor kspec.io/check.
  const labels = { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': `mon-${f.id}`, 'kspec.io/spec-namespace': f.ns };
  await f.objects.create({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `stray-${f.id}`, labels }, spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message: 'm', pattern: { metadata: { name: '?*' } } } }] } } as KubernetesObject);

  const result = await f.pass();
  const outcome = spec(result, `mon-${f.id}`);
  assert.equal(outcome.phase, 'Active', outcome.errors.join('\n'));
  const report = await f.store.get<DriftReport>('DriftReport', f.ns, `mon-${f.id}-local`);
  assert.equal(report?.spec.timestamp, outcome.drift?.spec.timestamp);
  const extra = report?.status?.driftEvents.find((e) => e.type === 'extra');
  assert.equal(extra?.resourceName, `stray-${f.id}`);
  assert.equal(extra?.policyID, undefined, 'no policy label: no policyID, not null');
  const mirror = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `mon-${f.id}`);
  assert.equal(mirror?.status?.phase, 'Active');
  assert.equal(condition(mirror!.status!.conditions!, 'Ready').status, 'True');
});

test('a report the API server refuses fails the spec: phase Failed, Ready=False PublishFailed, the CLI agrees', async (t) => {
  const f = await passFixture(t, (ns, id) => ({ 'specs/enf.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  // A quota of zero DriftReports in this namespace: the API server refuses to create one.
  await f.objects.create({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'no-drift-reports', namespace: f.ns }, spec: { hard: { 'count/driftreports.kspec.io': '0' } } } as KubernetesObject);
  await kubeRequest(f.cluster.endpoint, 'PUT', `/api/v1/namespaces/${f.ns}/resourcequotas/no-drift-reports/status`, {
    body: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'no-drift-reports', namespace: f.ns, resourceVersion: (await f.objects.read({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'no-drift-reports', namespace: f.ns } })).metadata?.resourceVersion }, spec: { hard: { 'count/driftreports.kspec.io': '0' } }, status: { hard: { 'count/driftreports.kspec.io': '0' }, used: { 'count/driftreports.kspec.io': '0' } } },
  });

  const result = await f.pass();
  const outcome = spec(result, `enf-${f.id}`);
  assert.equal(outcome.phase, 'Failed');
  assert.equal(result.ok, false);
  assert.match(outcome.errors.join('\n'), /^publish: .*DriftReport/m);
  assert.match(summaryText(result), new RegExp(`enf-${f.id}\\s+local\\s+enforce\\s+Failed`));
  const mirror = await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `enf-${f.id}`);
  assert.equal(mirror?.status?.phase, 'Failed');
  const ready = condition(mirror!.status!.conditions!, 'Ready');
  assert.deepEqual([ready.status, ready.reason], ['False', 'PublishFailed']);
  assert.match(ready.message, /DriftReport/);
  assert.match(await f.metrics.registry.metrics(), new RegExp('kspec_pass_errors_total\\{stage="publish"\\} 1'));

  await f.objects.delete({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'no-drift-reports', namespace: f.ns } });
  const recovered = await f.pass();
  assert.equal(spec(recovered, `enf-${f.id}`).phase, 'Active', spec(recovered, `enf-${f.id}`).errors.join('\n'));
  assert.equal((await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `enf-${f.id}`))?.status?.phase, 'Active');
});

test('detectedAt is when the drift was first seen, kept while it stands, and new when it comes back', async (t) => {
  const f = await passFixture(t, (ns, id) => ({
    'specs/mon.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', remediation: 'report', checks: { a: policyYaml(`a-${id}`, { namespace: ns }) } }),
    'specs/enf.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { b: policyYaml(`b-${id}`, { namespace: ns }) } }),
  }));
  if (!f) return;
  const detectedAt = async (name: string) => (await f.store.get<DriftReport>('DriftReport', f.ns, `${name}-local`))?.status?.driftEvents.map((e) => [e.type, e.detectedAt]);
  await f.pass({ now: at('2026-01-01T10:00:00.000Z') });
  assert.deepEqual(await detectedAt(`mon-${f.id}`), [['missing', '2026-01-01T10:00:00.000Z']]);
  const second = await f.pass({ now: at('2026-01-01T11:00:00.000Z') });
  assert.deepEqual(await detectedAt(`mon-${f.id}`), [['missing', '2026-01-01T10:00:00.000Z']], 'standing drift keeps its first sighting');
  assert.equal(spec(second, `mon-${f.id}`).drift?.status?.driftEvents[0].detectedAt, '2026-01-01T10:00:00.000Z', 'the CLI shows the same');
  const report = await f.store.get<DriftReport>('DriftReport', f.ns, `mon-${f.id}-local`);
  assert.equal(report?.spec.timestamp, '2026-01-01T11:00:00.000Z', 'the report itself is from this pass');

  // Enforce fixed its drift in the first pass; drift that comes back is new.
  assert.deepEqual(await detectedAt(`enf-${f.id}`), [], 'nothing drifted on the second pass');
  await f.objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `b-${f.id}` } });
  await f.pass({ now: at('2026-01-01T12:00:00.000Z') });
  assert.deepEqual(await detectedAt(`enf-${f.id}`), [['missing', '2026-01-01T12:00:00.000Z']]);
});

test('conditions never contradict: what was found (Drifted), what stands now (Synced), whether the pass worked (Ready)', async (t) => {
  const f = await passFixture(t, (ns, id) => ({
    'specs/enf.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }), b: policyYaml(`b-${id}`, { namespace: ns }), c: policyYaml(`c-${id}`, { namespace: ns }) } }),
    'specs/mon.yaml': specYaml(`mon-${id}`, ns, { mode: 'monitor', remediation: 'report', checks: { d: policyYaml(`d-${id}`, { namespace: ns }) } }),
  }));
  if (!f) return;
  await f.pass();
  const created = await conditions(f, `enf-${f.id}`);
  const generation = (await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `enf-${f.id}`))?.metadata.generation;
  for (const c of created) assert.equal(c.observedGeneration, generation, `${c.type} carries observedGeneration`);
  const drifted = condition(created, 'Drifted');
  const synced = condition(created, 'Synced');
  assert.deepEqual([drifted.status, drifted.reason, drifted.message], ['True', 'DriftFound', 'the last pass found 3 missing, 0 modified, 0 extra']);
  assert.deepEqual([synced.status, synced.reason, synced.message], ['True', 'Corrected', 'kspec created 3, reverted 0 and deleted 0 policies; all 3 policies now match the spec']);

  const monitored = await conditions(f, `mon-${f.id}`);
  assert.deepEqual(condition(monitored, 'Drifted').status, 'True');
  assert.deepEqual([condition(monitored, 'Synced').status, condition(monitored, 'Synced').reason], ['False', 'ReportOnly']);
  assert.equal(condition(monitored, 'Synced').message, 'still differing from the spec: 1 missing, 0 modified, 0 extra (remediation report changes nothing)');

  await f.pass();
  const idle = await conditions(f, `enf-${f.id}`);
  assert.deepEqual(idle.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'Reconciled'], ['Synced', 'True', 'InSync'], ['Drifted', 'False', 'NoDrift']]);

  // kubectl get summarises every drift type, not the first event's.
  const row = await printed(f, 'driftreports', `mon-${f.id}-local`);
  assert.deepEqual([row.Missing, row.Modified, row.Extra, row.Remaining], [1, 0, 0, 1]);
  const specRow = await printed(f, 'clusterspecifications', `mon-${f.id}`);
  assert.deepEqual([specRow.Phase, specRow.Ready, specRow.Synced, specRow.Drifted], ['Active', 'True', 'False', 'True']);
});

test('the log says what kspec did: one info line per policy created, reverted or deleted, a warning per refusal, each with cluster, spec, policy and commit', async (t) => {
  const f = await passFixture(t, (ns, id) => ({ 'specs/enf.yaml': specYaml(`enf-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`a-${id}`, { namespace: ns }), b: policyYaml(`b-${id}`, { namespace: ns }) } }) }));
  if (!f) return;
  const rule = { name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message: 'm', pattern: { metadata: { name: '?*' } } } };
  // b's name is taken by someone else's policy (refused); a stray carries the spec's labels (deleted).
  await f.objects.create({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `b-${f.id}`, labels: { team: 'security' } }, spec: { rules: [rule] } } as KubernetesObject);
  await f.objects.create({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `stray-${f.id}`, labels: { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': `enf-${f.id}`, 'kspec.io/spec-namespace': f.ns, 'kspec.io/policy': 'labels' } }, spec: { rules: [rule] } } as KubernetesObject);
  const actionLines = (from: number) =>
    f.logs.slice(from).map((l) => JSON.parse(l) as Record<string, string>).filter((l) => l.spec === `enf-${f.id}` && /policy/.test(l.msg) && l.level !== 'debug')
      .map((l) => [l.level, l.msg, l.policy, l.cluster, l.commit]);
  const first = await f.pass();
  const commit = first.commit!.slice(0, 12);
  assert.deepEqual(actionLines(0).sort(), [
    ['info', 'created policy', `ClusterPolicy/a-${f.id}`, 'local', commit],
    ['info', 'deleted policy', `ClusterPolicy/stray-${f.id}`, 'local', commit],
    ['warn', 'refused: policy not changed', `ClusterPolicy/b-${f.id}`, 'local', commit],
  ]);
  // The refusal is said once: the warning names the policy, and no second error line repeats it.
  const refusal = f.logs.map((l) => JSON.parse(l) as Record<string, string>).find((l) => l.msg === 'refused: policy not changed' && l.spec === `enf-${f.id}`)!;
  assert.equal(f.logs.filter((l) => l.includes(refusal.error)).length, 1, 'the refused write is logged once');
  await f.objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `b-${f.id}` } });
  await f.objects.patch({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `a-${f.id}` }, spec: { validationFailureAction: 'Audit' } } as KubernetesObject, undefined, undefined, 'kubectl-edit', undefined, PatchStrategy.MergePatch);
  const seen = f.logs.length;
  await f.pass();
  assert.deepEqual(actionLines(seen).sort(), [
    ['info', 'created policy', `ClusterPolicy/b-${f.id}`, 'local', commit],
    ['info', 'reverted policy', `ClusterPolicy/a-${f.id}`, 'local', commit],
  ]);
  // A pass with nothing to do says nothing about policies.
  const idle = f.logs.length;
  await f.pass();
  assert.deepEqual(actionLines(idle), []);
});
