// act, through the target port, against an in-memory target: what ends up on the cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { act } from '../../src/reconcile/act.ts';
import type { DriftReport } from '../../src/api/types.ts';
import type { KyvernoPolicy } from '../../src/render/desired-policy.ts';
import { apiFaults, InMemoryManagement, InMemoryTarget } from '../support/in-memory-target.ts';
import { inMemoryPass, NAMESPACE } from '../support/in-memory-pass.ts';
import { policyYaml, specYaml } from '../support/operator.ts';

const spec = (opts: { remediation?: string; names?: string[] } = {}) => ({
  'specs/baseline.yaml': specYaml('baseline', NAMESPACE, {
    ...(opts.remediation ? { remediation: opts.remediation } : {}),
    checks: Object.fromEntries((opts.names ?? ['require-app', 'require-team', 'require-owner']).map((name, i) => [`c${i}`, policyYaml(name)])),
  }),
});

/** A target where the spec's policies were created by a first pass, then drifted: one edited, one deleted, one extra. */
async function drifted(remediation?: string) {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const files = spec(remediation ? { remediation } : {});
  await inMemoryPass({ files: spec(), target, management });
  target.edit('ClusterPolicy/require-app', (p) => ((p.spec as { validationFailureAction?: string }).validationFailureAction = 'Audit'));
  target.policies.delete('ClusterPolicy/require-team');
  const extra = structuredClone(target.policies.get('ClusterPolicy/require-owner')!);
  target.put({ ...extra, metadata: { name: 'left-behind', labels: extra.metadata.labels } });
  target.writes.length = 0;
  return { target, management, files };
}

const specOf = (target: InMemoryTarget, key: string) => target.policies.get(key)?.spec;

test('creates what is missing, reverts what was edited and deletes what is extra: the cluster matches the spec again', async () => {
  const { target, management, files } = await drifted();
  const [outcome] = await inMemoryPass({ files, target, management });

  assert.deepEqual(outcome.actions.map((a) => [a.drift.type, a.drift.event.resourceName, a.action]), [
    ['modified', 'require-app', 'applied'],
    ['missing', 'require-team', 'created'],
    ['extra', 'left-behind', 'deleted'],
  ]);
  assert.deepEqual([...target.policies.keys()].sort(), ['ClusterPolicy/require-app', 'ClusterPolicy/require-owner', 'ClusterPolicy/require-team']);
  const reverted = outcome.actions[0].drift;
  assert.equal(reverted.type, 'modified');
  assert.deepEqual(specOf(target, 'ClusterPolicy/require-app'), reverted.type === 'modified' && reverted.desired.object.spec);
  assert.equal(outcome.remaining.length, 0);
  assert.equal(outcome.inSync, 3);
});

test('remediation report writes nothing to the cluster; the DriftReport says what was found', async () => {
  const { target, management, files } = await drifted('report');
  const [outcome] = await inMemoryPass({ files, target, management });

  assert.deepEqual(target.writes, []);
  assert.ok(target.policies.has('ClusterPolicy/left-behind'));
  assert.deepEqual(outcome.actions.map((a) => a.action), ['none', 'none', 'none']);
  const report = management.object<DriftReport>('DriftReport', NAMESPACE, 'baseline-local')!;
  assert.deepEqual(report.status!.driftEvents!.map((e) => [e.type, e.resourceName, e.action]), [
    ['modified', 'require-app', 'none'],
    ['missing', 'require-team', 'none'],
    ['extra', 'left-behind', 'none'],
  ]);
});

test('an extra policy is kept while the spec is failing: only a spec cleanly from Git prunes', async () => {
  const { target, management } = await drifted();
  const broken = { 'specs/baseline.yaml': spec()['specs/baseline.yaml'].replace('enforcementMode: enforce', 'enforcementMode: enforcing') };
  const [outcome] = await inMemoryPass({ files: broken, target, management });

  assert.equal(outcome.plan.desiredFrom, 'last-good');
  assert.ok(target.policies.has('ClusterPolicy/left-behind'), 'the extra policy is still there');
  assert.deepEqual(target.writes.map((w) => w.call).sort(), ['create', 'revert'], 'the last good state is still enforced');
  assert.deepEqual(outcome.remaining.map((d) => [d.type, d.event.resourceName]), [['extra', 'left-behind']]);
});

test('nothing is pruned when the Git fetch fails', async () => {
  const { target, management } = await drifted();
  const [outcome] = await inMemoryPass({ files: {}, fetchError: 'fetch https://git.example.com: HTTP 503', target, management });

  assert.equal(outcome.plan.desiredFrom, 'last-good');
  assert.ok(target.policies.has('ClusterPolicy/left-behind'));
  assert.ok(!target.writes.some((w) => w.call === 'delete'));
});

for (const [fault, error] of [['refused', apiFaults.refused('create ClusterPolicy/require-team')], ['a 409', apiFaults.conflict('revert ClusterPolicy/require-app')], ['a timeout', apiFaults.timeout('POST clusterpolicies')]] as const) {
  test(`one write failing with ${fault} does not stop the others`, async () => {
    const { target, management, files } = await drifted();
    const failing = fault === 'a 409' ? 'revert' : 'create';
    target.fail(failing, error, { name: failing === 'revert' ? 'require-app' : 'require-team' });
    const [outcome] = await inMemoryPass({ files, target, management });

    const failed = outcome.actions.filter((a) => a.action === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].error, error.message);
    assert.equal(target.writes.length, 2, 'the two other writes were made');
    assert.equal(outcome.phase, 'Failed');
    assert.equal(outcome.failedStage, 'act');
    assert.equal(outcome.remaining.length, 1, 'only the failed one still differs');
  });
}

test('outcomes keep the order of the drift, whatever order the writes finish in', async () => {
  const target = new InMemoryTarget();
  const policy = (name: string) => ({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name }, spec: { rules: [] } }) as KyvernoPolicy;
  const drifts = ['first', 'second', 'third'].map((name) => ({ type: 'missing' as const, desired: { object: policy(name) }, event: { resourceName: name } }));
  const release = target.hold('create', 'first');
  const acting = act(drifts as never, target, { remediate: true, mayPrune: true, dryRun: false });
  while (target.writes.length < 2) await new Promise((resolve) => setImmediate(resolve));
  release();
  const outcomes = await acting;

  assert.deepEqual(target.writes.map((w) => w.policy), ['ClusterPolicy/second', 'ClusterPolicy/third', 'ClusterPolicy/first']);
  assert.deepEqual(outcomes.map((o) => [o.drift.event.resourceName, o.action]), [['first', 'created'], ['second', 'created'], ['third', 'created']]);
});

test('a dry run changes nothing on the cluster and says what it would do', async () => {
  const { target, management, files } = await drifted();
  const before = structuredClone([...target.policies]);
  const published = management.writes.length;
  const [outcome] = await inMemoryPass({ files, target, management, dryRun: true });

  assert.deepEqual([...target.policies], before);
  assert.deepEqual(outcome.actions.map((a) => a.action), ['dry-run', 'dry-run', 'dry-run']);
  assert.equal(management.writes.length, published, 'a dry run publishes nothing either');
});

test('a replica that lost the lease or is shutting down finds the drift but neither acts nor publishes', async () => {
  const { target, management, files } = await drifted();
  const published = management.writes.length;
  const [outcome] = await inMemoryPass({ files, target, management, signal: AbortSignal.abort() });

  assert.deepEqual(target.writes, []);
  assert.equal(management.writes.length, published);
  assert.equal(outcome.failedStage, 'act');
  assert.deepEqual(outcome.actions.map((a) => a.action), ['none', 'none', 'none']);
});

test('sharded, a target whose Lease this replica no longer holds is not written to: the fence refuses act and publish', async () => {
  const { target, management, files } = await drifted();
  const published = management.writes.length;
  const stages: string[] = [];
  const [outcome] = await inMemoryPass({
    files, target, management,
    write: async (key, stage) => {
      stages.push(`${stage} ${key}`);
      throw new Error(`target ${key} is no longer owned by this replica`);
    },
  });

  assert.deepEqual(stages, [`act ${NAMESPACE}/local`, `publish ${NAMESPACE}/local`]);
  assert.deepEqual(target.writes, []);
  assert.equal(management.writes.length, published);
  assert.match(outcome.errors.join('\n'), /act: target kspec-system\/local is no longer owned/);
});
