// The conditions a spec's status shows after a pass (spec-conditions.ts), for each way a pass
// can go, run through the in-memory ports and read back from the stored status as kubectl
// would show it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSpecification } from '../../src/api/types.ts';
import { apiFaults, InMemoryManagement, InMemoryTarget } from '../support/in-memory-target.ts';
import { inMemoryPass, NAMESPACE } from '../support/in-memory-pass.ts';
import type { InMemoryPassOptions } from '../support/in-memory-pass.ts';
import { policyYaml, specYaml } from '../support/operator.ts';

const spec = (remediation?: string) => ({
  'specs/baseline.yaml': specYaml('baseline', NAMESPACE, { ...(remediation ? { remediation } : {}), checks: { a: policyYaml('require-app'), b: policyYaml('require-team') } }),
});
const invalid = { 'specs/baseline.yaml': spec()['specs/baseline.yaml'].replace('enforcementMode: enforce', 'enforcementMode: enforcing') };
const FIRST_COMMIT = 'a1b2c3d4e5f60000000000000000000000000000';

interface Case {
  name: string;
  /** What happens to the clusters after a first clean pass, and the second pass's options. */
  then: (target: InMemoryTarget, management: InMemoryManagement) => Partial<InMemoryPassOptions>;
  /** type → [status, reason, message pattern] */
  expect: Record<'Ready' | 'Synced' | 'Drifted', [string, string, RegExp?]>;
}

const cases: Case[] = [
  {
    name: 'nothing changed',
    then: () => ({}),
    expect: { Ready: ['True', 'Reconciled', /^2 policies in sync on local$/], Synced: ['True', 'InSync', /all 2 policies match/], Drifted: ['False', 'NoDrift'] },
  },
  {
    name: 'a policy deleted by hand is re-created',
    then: (target) => (target.policies.delete('ClusterPolicy/require-team'), {}),
    expect: { Ready: ['True', 'Reconciled'], Synced: ['True', 'Corrected', /created 1, reverted 0 and deleted 0/], Drifted: ['True', 'DriftFound', /1 missing, 0 modified, 0 extra/] },
  },
  {
    name: 'remediation report leaves the drift standing',
    then: (target) => (target.policies.delete('ClusterPolicy/require-team'), { files: spec('report') }),
    expect: { Ready: ['True', 'Reconciled'], Synced: ['False', 'ReportOnly', /1 missing/], Drifted: ['True', 'DriftFound'] },
  },
  {
    name: 'the target is unreachable',
    then: () => ({ unreachable: 'cluster local: connect ECONNREFUSED 10.0.0.1:6443' }),
    expect: { Ready: ['False', 'TargetFailed', /ECONNREFUSED/], Synced: ['Unknown', 'NotObserved'], Drifted: ['Unknown', 'NotObserved'] },
  },
  {
    name: 'listing the policies fails',
    then: (target) => (target.fail('list', apiFaults.unavailable('list ClusterPolicy')), {}),
    expect: { Ready: ['False', 'ObserveFailed', /HTTP 503/], Synced: ['Unknown', 'NotObserved'], Drifted: ['Unknown', 'NotObserved'] },
  },
  {
    name: 'a write is refused',
    then: (target) => (target.policies.delete('ClusterPolicy/require-team'), target.fail('create', apiFaults.refused('create ClusterPolicy/require-team')), {}),
    expect: { Ready: ['False', 'ActFailed', /HTTP 403/], Synced: ['False', 'ActionFailed', /1 missing/], Drifted: ['True', 'DriftFound'] },
  },
  {
    name: 'the spec in Git is invalid: the last good state is kept, extra policies too',
    then: (target) => {
      const owned = target.policies.get('ClusterPolicy/require-app')!;
      target.put({ ...structuredClone(owned), metadata: { name: 'left-behind', labels: owned.metadata.labels } });
      return { files: invalid, commit: 'bad0000000000000000000000000000000000000' };
    },
    expect: { Ready: ['False', 'InvalidSpecLastGoodKept', /enforcementMode/], Synced: ['False', 'SpecFailing', /0 missing, 0 modified, 1 extra/], Drifted: ['True', 'DriftFound'] },
  },
  {
    name: 'Git cannot be fetched',
    then: () => ({ files: {}, fetchError: 'fetch https://git.example.com/platform/specs.git: HTTP 503' }),
    expect: { Ready: ['False', 'SourceUnavailableLastGoodKept', /HTTP 503; keeping the last good state from commit a1b2c3d4e5f6, nothing is pruned/], Synced: ['True', 'InSync'], Drifted: ['False', 'NoDrift'] },
  },
];

for (const c of cases) {
  test(`conditions when ${c.name}`, async () => {
    const target = new InMemoryTarget();
    const management = new InMemoryManagement();
    await inMemoryPass({ files: spec(), commit: FIRST_COMMIT, target, management });
    await inMemoryPass({ files: spec(), commit: FIRST_COMMIT, target, management });
    await inMemoryPass({ files: spec(), commit: FIRST_COMMIT, target, management, ...c.then(target, management) });

    const conditions = management.object<ClusterSpecification>('ClusterSpecification', NAMESPACE, 'baseline')!.status!.conditions!;
    for (const [type, [status, reason, message]] of Object.entries(c.expect)) {
      const condition = conditions.find((x) => x.type === type);
      assert.deepEqual([type, condition?.status, condition?.reason], [type, status, reason]);
      if (message) assert.match(condition!.message!, message);
    }
  });
}

test('a condition keeps its lastTransitionTime while its status stands, and moves when it flips', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const at = (minute: number) => new Date(Date.parse('2026-12-01T12:00:00Z') + minute * 60_000);
  const ready = () => management.object<ClusterSpecification>('ClusterSpecification', NAMESPACE, 'baseline')!.status!.conditions!.find((c) => c.type === 'Ready')!;
  await inMemoryPass({ files: spec(), target, management, now: at(0) });
  await inMemoryPass({ files: spec(), target, management, now: at(1) });
  assert.equal(ready().lastTransitionTime, at(0).toISOString());
  target.fail('list', apiFaults.timeout('list ClusterPolicy'), { times: 1 });
  await inMemoryPass({ files: spec(), target, management, now: at(2) });
  assert.deepEqual([ready().status, ready().lastTransitionTime], ['False', at(2).toISOString()]);
  await inMemoryPass({ files: spec(), target, management, now: at(3) });
  assert.deepEqual([ready().status, ready().lastTransitionTime], ['True', at(3).toISOString()]);
});
