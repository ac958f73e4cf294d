import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rendezvousAssignment, rendezvousOwner } from '../../src/shard/rendezvous.ts';
import { parseShard, staticShardOf } from '../../src/shard/static-shard.ts';

const targets = Array.from({ length: 1000 }, (_, i) => `fleet/cluster-${i}`);

test('rendezvous: every target has exactly one owner, the same whatever the order of the members', () => {
  const members = ['kspec-a', 'kspec-b', 'kspec-c'];
  for (const t of targets.slice(0, 50)) {
    assert.equal(rendezvousOwner(t, members), rendezvousOwner(t, [...members].reverse()));
  }
  const byMember = rendezvousAssignment(targets, members);
  assert.equal([...byMember.values()].flat().length, targets.length);
  assert.equal(rendezvousOwner('fleet/x', []), undefined);
});

test('rendezvous: shares are even (within 20% of the mean for 1,000 targets)', () => {
  for (const members of [['a', 'b'], ['a', 'b', 'c'], ['p-0', 'p-1', 'p-2', 'p-3', 'p-4']]) {
    const mean = targets.length / members.length;
    for (const [member, owned] of rendezvousAssignment(targets, members)) {
      assert.ok(Math.abs(owned.length - mean) < 0.2 * mean, `${member} owns ${owned.length} of ${targets.length} (mean ${mean})`);
    }
  }
});

test('rendezvous: a member joining takes only its share; one leaving moves only its own targets', () => {
  const before = rendezvousAssignment(targets, ['a', 'b', 'c']);
  const ownerBefore = new Map([...before].flatMap(([m, ts]) => ts.map((t) => [t, m] as const)));
  // Join: every target that moves, moves to the newcomer.
  for (const [member, owned] of rendezvousAssignment(targets, ['a', 'b', 'c', 'd'])) {
    for (const t of owned) if (member !== 'd') assert.equal(ownerBefore.get(t), member, `${t} moved between old members`);
  }
  // Leave: only the leaver's targets move.
  for (const [member, owned] of rendezvousAssignment(targets, ['a', 'c'])) {
    for (const t of owned) if (ownerBefore.get(t) !== 'b') assert.equal(ownerBefore.get(t), member);
  }
});

test('static shards: N/M and ordinal/M parse; bad values name the flag and the fix', () => {
  const table: Array<[string, string | undefined, { index: number; count: number } | RegExp]> = [
    ['0/1', undefined, { index: 0, count: 1 }],
    ['2/3', undefined, { index: 2, count: 3 }],
    ['ordinal/3', 'kspec-1', { index: 1, count: 3 }],
    ['ordinal/3', 'kspec-shard-2', { index: 2, count: 3 }],
    ['3/3', undefined, /N must be below M \(shards are numbered 0 to 2\)/],
    ['1/0', undefined, /M must be at least 1/],
    ['ordinal/3', 'kspec-7', /N must be below M/],
    ['ordinal/3', 'kspec', /POD_NAME "kspec" does not end in -<number>/],
    ['two/3', undefined, /--shard takes N\/M/],
    ['1', undefined, /--shard takes N\/M/],
  ];
  for (const [text, pod, want] of table) {
    if (want instanceof RegExp) assert.throws(() => parseShard(text, pod), want, text);
    else assert.deepEqual(parseShard(text, pod), want, text);
  }
});

test('static shards: M shards cover every target once, evenly', () => {
  const counts = [0, 0, 0, 0];
  for (const t of targets) counts[staticShardOf(t, 4)]!++;
  assert.equal(counts.reduce((a, b) => a + b), targets.length);
  for (const c of counts) assert.ok(Math.abs(c - 250) < 50, `shard sizes ${counts}`);
  // Growing from 3 to 4 shards moves targets only to the new shard.
  for (const t of targets) {
    const after = staticShardOf(t, 4);
    if (after !== 3) assert.equal(after, staticShardOf(t, 3));
  }
});
