// publish, through the management port, against in-memory clusters: what the management cluster
// holds after a pass (mirror, status, DriftReport, Events) and which writes it took.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSpecification, DriftReport } from '../../src/api/types.ts';
import { apiFaults, InMemoryManagement, InMemoryTarget } from '../support/in-memory-target.ts';
import { inMemoryPass, NAMESPACE } from '../support/in-memory-pass.ts';
import { policyYaml, specYaml } from '../support/operator.ts';

const files = (name: string, policies: string[], remediation?: string) => ({
  [`specs/${name}.yaml`]: specYaml(name, NAMESPACE, { ...(remediation ? { remediation } : {}), checks: Object.fromEntries(policies.map((p, i) => [`c${i}`, policyYaml(p)])) }),
});
const at = (minutes: number) => new Date(Date.parse('2026-12-01T12:00:00Z') + minutes * 60_000);
const statusOf = (management: InMemoryManagement, name = 'baseline') => management.object<ClusterSpecification>('ClusterSpecification', NAMESPACE, name)?.status;
const reportOf = (management: InMemoryManagement, name = 'baseline') => management.object<DriftReport>('DriftReport', NAMESPACE, `${name}-local`);

/** Clusters after a first pass that created the spec's policies and a second that found them in sync. */
async function settled(spec = files('baseline', ['require-app', 'require-team'])) {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  await inMemoryPass({ files: spec, target, management, now: at(0) });
  await inMemoryPass({ files: spec, target, management, now: at(1) });
  return { target, management, spec };
}

test('a pass with nothing new writes nothing to the management cluster and records no Event', async () => {
  const { target, management, spec } = await settled();
  const writes = management.writes.length;
  const events = management.events.length;
  const [outcome] = await inMemoryPass({ files: spec, target, management, now: at(2) });

  assert.equal(outcome.phase, 'Active');
  assert.deepEqual(management.writes.slice(writes), []);
  assert.equal(management.events.length, events);
  assert.equal(statusOf(management)!.lastReconcileTime, at(1).toISOString(), 'the status still says when it last changed');
});

test('a change in what the pass found rewrites the report and the status, not the mirror', async () => {
  const { target, management, spec } = await settled();
  target.policies.delete('ClusterPolicy/require-team');
  const writes = management.writes.length;
  await inMemoryPass({ files: spec, target, management, now: at(2) });

  assert.deepEqual(management.writes.slice(writes).map((w) => `${w.call} ${w.object}`).sort(), [
    `applyStatus ClusterSpecification/${NAMESPACE}/baseline`,
    `applyStatus DriftReport/${NAMESPACE}/baseline-local`,
    `apply DriftReport/${NAMESPACE}/baseline-local`,
  ].sort());
  assert.deepEqual(reportOf(management)!.status!.driftEvents!.map((e) => [e.type, e.resourceName, e.action]), [['missing', 'require-team', 'created']]);
});

test('an unchanged report and status are rewritten once --report-refresh has passed, so their timestamps stay roughly true', async () => {
  const { target, management, spec } = await settled();
  await inMemoryPass({ files: spec, target, management, now: at(9), reportRefreshMs: 10 * 60_000 });
  const writes = management.writes.length;
  await inMemoryPass({ files: spec, target, management, now: at(12), reportRefreshMs: 10 * 60_000 });

  assert.deepEqual(management.writes.slice(writes).map((w) => w.object).sort(), [
    `ClusterSpecification/${NAMESPACE}/baseline`,
    `DriftReport/${NAMESPACE}/baseline-local`,
    `DriftReport/${NAMESPACE}/baseline-local`,
  ]);
  assert.equal(reportOf(management)!.spec.timestamp, at(12).toISOString());
  assert.equal(statusOf(management)!.lastReconcileTime, at(12).toISOString());
  assert.equal(management.events.filter((e) => e.pass === management.pass).length, 0, 'a refresh is not news');
});

test('one Event per spec, reason and pass, counting the policies and naming the first few', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
  await inMemoryPass({ files: { ...files('baseline', names), ...files('extras', ['x1']) }, target, management });

  const events = management.events.map((e) => [e.involved.name, e.type, e.reason, e.message]);
  assert.deepEqual(events.filter(([spec]) => spec === 'baseline'), [
    ['baseline', 'Warning', 'DriftDetected', '5 new drifts on cluster local: missing ClusterPolicy/p1, missing ClusterPolicy/p2, missing ClusterPolicy/p3 and 2 more'],
    ['baseline', 'Normal', 'PolicyCreated', 'created 5 policies on cluster local: ClusterPolicy/p1, ClusterPolicy/p2, ClusterPolicy/p3 and 2 more'],
  ]);
  assert.deepEqual(events.filter(([spec]) => spec === 'extras').map(([, , reason]) => reason), ['DriftDetected', 'PolicyCreated']);
  const uid = management.object<ClusterSpecification>('ClusterSpecification', NAMESPACE, 'baseline')!.metadata.uid;
  assert.ok(management.events.filter((e) => e.involved.name === 'baseline').every((e) => e.involved.uid === uid), 'the Events are on the spec kubectl describe shows');
});

test('drift that stands under remediation report is announced once, not every pass', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const spec = files('baseline', ['require-app'], 'report');
  await inMemoryPass({ files: spec, target, management });
  await inMemoryPass({ files: spec, target, management });

  assert.deepEqual(management.events.map((e) => [e.pass, e.reason]), [[1, 'DriftDetected']]);
  assert.deepEqual(reportOf(management)!.status!.driftEvents!.map((e) => [e.type, e.action]), [['missing', 'none']]);
});

test('a refused report write leaves the spec saying PublishFailed; the next pass publishes it', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const spec = files('baseline', ['require-app']);
  management.fail('apply', apiFaults.refused('apply DriftReport'), { name: 'baseline-local', times: 1 });
  const [first] = await inMemoryPass({ files: spec, target, management });

  assert.equal(first.failedStage, 'publish');
  assert.equal(reportOf(management), undefined);
  const ready = statusOf(management)!.conditions!.find((c) => c.type === 'Ready')!;
  assert.deepEqual([ready.status, ready.reason], ['False', 'PublishFailed']);
  assert.match(ready.message!, /HTTP 403/);

  const [second] = await inMemoryPass({ files: spec, target, management });
  assert.equal(second.phase, 'Active');
  assert.ok(reportOf(management));
  assert.equal(statusOf(management)!.conditions!.find((c) => c.type === 'Ready')!.reason, 'Reconciled');
});

test('a spec removed from Git takes its policies, then its mirror and report, with it', async () => {
  const { target, management } = await settled();
  const [outcome] = await inMemoryPass({ files: files('other', ['other-policy']), target, management });

  assert.equal(outcome.plan.name, 'baseline');
  assert.ok(outcome.plan.retired);
  assert.ok(!target.policies.has('ClusterPolicy/require-app') && !target.policies.has('ClusterPolicy/require-team'));
  assert.equal(statusOf(management), undefined);
  assert.equal(management.object('ClusterSpecification', NAMESPACE, 'baseline'), undefined);
  assert.equal(reportOf(management), undefined);
  assert.ok(management.object('ClusterSpecification', NAMESPACE, 'other'));
});

test('the first spec in a new namespace creates the namespace: its report and mirror are published from the first pass', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement([]);
  const [outcome] = await inMemoryPass({ files: files('baseline', ['require-app']), target, management });

  assert.ok(management.namespaces.has(NAMESPACE));
  assert.ok(statusOf(management));
  assert.equal(outcome.phase, 'Active', outcome.errors.join('; '));
  assert.ok(reportOf(management), 'the DriftReport is there from the first pass');
});
