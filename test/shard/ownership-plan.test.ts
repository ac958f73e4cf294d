import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planOwnership, type OwnershipInput } from '../../src/shard/ownership-plan.ts';
import { rendezvousOwner } from '../../src/shard/rendezvous.ts';
import { leaseName } from '../../src/shard/shard-leases.ts';

const LEASE = 15_000;
const NOW = 1_000_000;
const self = { member: 'pod-a', identity: 'pod-a_1' };
const members = ['pod-a', 'pod-b'];
// Two targets pod-a wins and one pod-b wins, whatever the hash: found by search.
const keys = Array.from({ length: 40 }, (_, i) => `ns/t-${i}`);
const mineA = keys.filter((k) => rendezvousOwner(k, members) === 'pod-a').slice(0, 2);
const mineB = keys.filter((k) => rendezvousOwner(k, members) === 'pod-b').slice(0, 1);
const base = (over: Partial<OwnershipInput>): OwnershipInput => ({
  self,
  healthy: true,
  mode: 'auto',
  members: [
    { member: 'pod-a', holder: 'pod-a_1', changedAt: NOW },
    { member: 'pod-b', holder: 'pod-b_1', changedAt: NOW - 1_000 },
  ],
  targets: [],
  leaseDurationMs: LEASE,
  now: NOW,
  ...over,
});

test('ownership: which targets a replica takes, keeps and hands over', () => {
  const [a1, a2] = mineA as [string, string];
  const [b1] = mineB as [string];
  const table: Array<{ name: string; input: OwnershipInput; want: { live?: string[]; wanted?: string[]; acquire: string[]; release: string[] } }> = [
    {
      name: 'free Leases (absent or released) of its own targets are taken',
      input: base({ targets: [{ key: a1, holder: '', changedAt: 0 }, { key: a2, holder: '', changedAt: NOW }, { key: b1, holder: '', changedAt: 0 }] }),
      want: { live: ['pod-a', 'pod-b'], wanted: [a1, a2], acquire: [a1, a2], release: [] },
    },
    {
      name: 'a target held by a live replica is not taken, even when it should be ours (it hands it over first)',
      input: base({ targets: [{ key: a1, holder: 'pod-b_1', changedAt: NOW - 60_000 }] }),
      want: { acquire: [], release: [] },
    },
    {
      name: 'a silent holder: taken only once its heartbeat and the target Lease stood still a lease duration',
      input: base({
        members: [{ member: 'pod-a', holder: 'pod-a_1', changedAt: NOW }, { member: 'pod-b', holder: 'pod-b_1', changedAt: NOW - LEASE - 1 }],
        targets: [{ key: a1, holder: 'pod-b_1', changedAt: NOW - LEASE - 1 }, { key: b1, holder: 'pod-b_1', changedAt: NOW - LEASE + 500 }],
      }),
      // pod-b is dead: b1 is now pod-a's too, but its Lease changed too recently to be taken yet.
      want: { live: ['pod-a'], acquire: [a1], release: [] },
    },
    {
      name: 'a holder never heard of (first seen just now) is waited for a lease duration',
      input: base({ targets: [{ key: a1, holder: 'pod-z_9', changedAt: NOW }] }),
      want: { acquire: [], release: [] },
    },
    {
      name: 'a target that belongs to another live replica is handed over',
      input: base({ targets: [{ key: b1, holder: 'pod-a_1', changedAt: NOW - 5_000 }, { key: a1, holder: 'pod-a_1', changedAt: NOW }] }),
      want: { acquire: [], release: [b1] },
    },
    {
      name: 'a released member Lease is not live: its targets are ours at once',
      input: base({
        members: [{ member: 'pod-a', holder: 'pod-a_1', changedAt: NOW }, { member: 'pod-b', holder: '', changedAt: NOW }],
        targets: [{ key: b1, holder: '', changedAt: NOW }],
      }),
      want: { live: ['pod-a'], acquire: [b1], release: [] },
    },
    {
      name: 'without a current heartbeat a replica wants nothing and hands over what it holds',
      input: base({ healthy: false, targets: [{ key: a1, holder: 'pod-a_1', changedAt: NOW }, { key: a2, holder: '', changedAt: 0 }] }),
      want: { live: ['pod-b'], wanted: [], acquire: [], release: [a1] },
    },
    {
      name: 'static shard 0/1 owns everything, whatever the members',
      input: base({ mode: { index: 0, count: 1 }, targets: [{ key: b1, holder: '', changedAt: 0 }] }),
      want: { acquire: [b1], release: [] },
    },
  ];
  for (const { name, input, want } of table) {
    const plan = planOwnership(input);
    assert.deepEqual(plan.acquire, want.acquire, `${name}: acquire`);
    assert.deepEqual(plan.release, want.release, `${name}: release`);
    if (want.live) assert.deepEqual(plan.live, want.live, `${name}: live`);
    if (want.wanted) assert.deepEqual(plan.wanted, want.wanted, `${name}: wanted`);
  }
});

test('lease names: DNS labels of at most 63 characters, distinct for distinct targets', () => {
  const names = ['team-a/prod', 'team_a/prod', 'team-a/prod.eu', `ns/${'x'.repeat(200)}`, 'ns/Prod'].map((k) => leaseName('kspec-leader', 'target', k));
  for (const n of names) assert.match(n, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, n);
  assert.equal(new Set(names).size, names.length);
  assert.equal(leaseName('kspec-leader', 'member', 'kspec-7d9f-abcde'), 'kspec-leader-member-kspec-7d9f-abcde');
  assert.equal(leaseName('kspec-leader', 'push'), 'kspec-leader-push');
});
