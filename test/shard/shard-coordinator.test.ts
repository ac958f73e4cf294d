// Shard coordinators against the real API server: replicas split targets through Leases, hand
// them over on a planned stop, wait out a crashed holder's Leases, and never write to one target
// at the same time (every write stage is recorded with its replica and the intervals compared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ShardCoordinator } from '../../src/shard/shard-coordinator.ts';
import { FencedOff } from '../../src/shard/target-ownership.ts';
import { rendezvousOwner } from '../../src/shard/rendezvous.ts';
import { staticShardOf } from '../../src/shard/static-shard.ts';
import { testCluster } from '../support/cluster.ts';
import { sleep, waitFor } from '../support/operator.ts';

// Short timings: lease 2 s (the API stores whole seconds), renew deadline 1.5 s, retry 0.25 s.
const TIMING = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };

interface Write { replica: string; target: string; from: number; to: number }

function replica(kc: KubeConfig, namespace: string, member: string, changes: string[]) {
  return new ShardCoordinator({
    kubeConfig: kc, namespace, group: 'kspec', member, identity: `${member}_1`, mode: 'auto', ...TIMING,
    onRebalance: (target, change) => changes.push(`${member} ${change} ${target}`),
  });
}

/** Keeps writing to every target through the fence, recording each write that was let through. */
function keepWriting(c: ShardCoordinator, member: string, targets: string[], writes: Write[], stop: AbortSignal): Promise<void> {
  return (async () => {
    while (!stop.aborted) {
      for (const target of targets) {
        try {
          await c.write(target, 'test', async () => {
            const from = Date.now();
            await sleep(5);
            writes.push({ replica: member, target, from, to: Date.now() });
          });
        } catch (err) {
          if (!(err instanceof FencedOff)) throw err;
        }
      }
      await sleep(20);
    }
  })();
}

function assertNoOverlap(writes: Write[]): void {
  const byTarget = new Map<string, Write[]>();
  for (const w of writes) byTarget.set(w.target, [...(byTarget.get(w.target) ?? []), w]);
  for (const [target, ws] of byTarget) {
    ws.sort((a, b) => a.from - b.from);
    for (let i = 1; i < ws.length; i++) {
      const [prev, next] = [ws[i - 1]!, ws[i]!];
      if (prev.replica !== next.replica) assert.ok(next.from >= prev.to, `${target}: ${next.replica} wrote from ${next.from} while ${prev.replica} wrote until ${prev.to}`);
    }
  }
}

test('shard coordinators: split, join, planned hand-over and crash take-over; writes to a target never overlap', { timeout: 120_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('shard');
  const targets = Array.from({ length: 8 }, (_, i) => `${ns}/cluster-${i}`);
  const changes: string[] = [];
  const writes: Write[] = [];
  const stopWriting = new AbortController();
  const running: ShardCoordinator[] = [];
  t.after(async () => {
    stopWriting.abort();
    for (const c of running) await c.stop({ handOver: false });
  });
  const start = async (member: string) => {
    const c = replica(cluster.kc, ns, member, changes);
    running.push(c);
    await c.claim(targets);
    c.start();
    writers.push(keepWriting(c, member, targets, writes, stopWriting.signal));
    return c;
  };
  const writers: Promise<void>[] = [];
  /** Every target owned by exactly one of `cs`, each as rendezvous over their members says. */
  const settled = (cs: ShardCoordinator[], members: string[]) => async () => {
    const owned = cs.map((c) => c.owned());
    return targets.every((tg) => owned.filter((o) => o.has(tg)).length === 1 && owned[members.indexOf(rendezvousOwner(tg, members)!)]!.has(tg));
  };

  const a = await start('pod-a');
  await waitFor('pod-a alone to own all eight', 10_000, async () => a.owned().size === 8);
  const b = await start('pod-b');
  const c = await start('pod-c');
  await waitFor('three replicas to split the eight targets by rendezvous', 20_000, settled([a, b, c], ['pod-a', 'pod-b', 'pod-c']));
  assert.deepEqual(a.live(), ['pod-a', 'pod-b', 'pod-c']);
  // The overlap check below means something only if each replica wrote while it owned targets:
  // wait for that rather than hoping the split lasted long enough on a busy machine.
  await waitFor('pod-b and pod-c to write to the targets they own', 60_000, async () => writes.some((w) => w.replica === 'pod-b') && writes.some((w) => w.replica === 'pod-c'));

  // Planned stop of pod-b: its targets move to the others at once, without waiting for expiry.
  const fromB = [...b.owned()];
  await b.stop();
  running.splice(running.indexOf(b), 1);
  await waitFor('pod-a and pod-c to own all eight after pod-b handed over', 10_000, settled([a, c], ['pod-a', 'pod-c']));
  for (const tg of fromB) assert.ok(changes.includes(`pod-b handed over ${tg}`), `pod-b handed ${tg} over`);

  // Crash of pod-c: nothing is released; pod-a takes its targets once the Leases stood still.
  const fromC = [...c.owned()];
  await c.stop({ handOver: false });
  running.splice(running.indexOf(c), 1);
  await waitFor('pod-a to own all eight after pod-c crashed', 15_000, async () => a.owned().size === 8);
  for (const tg of fromC) assert.ok(changes.includes(`pod-a taken ${tg}`));
  const leases = await cluster.kc.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: ns, labelSelector: 'kspec.io/shard-role=target' });
  assert.equal(leases.items.length, 8);
  for (const l of leases.items) assert.equal(l.spec?.holderIdentity, 'pod-a_1', `${l.metadata?.name} names pod-a`);

  await sleep(300);
  stopWriting.abort();
  await Promise.all(writers);
  assert.ok(writes.some((w) => w.replica === 'pod-b') && writes.some((w) => w.replica === 'pod-c'), 'every replica wrote while it owned targets');
  assertNoOverlap(writes);
  t.diagnostic(`${writes.length} writes recorded; ownership changes: ${changes.length}`);
});

test('shard coordinator: a push announced by one replica triggers the others', { timeout: 60_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('shard-push');
  const pushes: Record<string, string[]> = { 'pod-a': [], 'pod-b': [] };
  const make = (member: string) => new ShardCoordinator({ kubeConfig: cluster.kc, namespace: ns, group: 'kspec', member, identity: `${member}_1`, mode: 'auto', ...TIMING, onPush: (r) => pushes[member]!.push(r) });
  const [a, b] = [make('pod-a'), make('pod-b')];
  t.after(async () => {
    await a.stop();
    await b.stop();
  });
  await a.claim([]);
  await b.claim([]);
  a.start();
  b.start();
  await a.announcePush('push refs/heads/main abc123');
  await waitFor('pod-b to notice the push', 10_000, async () => pushes['pod-b']!.length === 1);
  assert.deepEqual(pushes['pod-b'], ['push refs/heads/main abc123']);
  await sleep(3 * TIMING.retryPeriodMs);
  assert.deepEqual(pushes['pod-a'], [], 'the replica that received the push runs its own pass and is not triggered again');
  assert.equal(pushes['pod-b']!.length, 1, 'one push, one trigger');
});

test('static shards with Leases: shard N of M holds exactly the targets the shard numbers give it, and waits for a crashed holder', { timeout: 60_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('shard-static');
  const targets = Array.from({ length: 8 }, (_, i) => `${ns}/cluster-${i}`);
  const make = (index: number, identity: string) =>
    new ShardCoordinator({ kubeConfig: cluster.kc, namespace: ns, group: 'kspec', member: `kspec-${index}`, identity, mode: { index, count: 2 }, ...TIMING });
  const shards = [make(0, 'kspec-0_1'), make(1, 'kspec-1_1')];
  t.after(async () => {
    for (const c of shards) await c.stop({ handOver: false });
  });
  for (const c of shards) {
    await c.claim(targets);
    c.start();
  }
  const expected = [0, 1].map((i) => targets.filter((tg) => staticShardOf(tg, 2) === i).sort());
  await waitFor('each shard to hold its own targets', 10_000, async () => [0, 1].every((i) => JSON.stringify([...shards[i]!.owned()].sort()) === JSON.stringify(expected[i])));

  // Shard 1 crashes; its replacement (same pod name, new process) takes its targets only once
  // the old holder's Leases have stood still, and shard 0 never takes them.
  await shards[1]!.stop({ handOver: false });
  const replacement = make(1, 'kspec-1_2');
  shards.push(replacement);
  await replacement.claim(targets);
  assert.equal(replacement.owned().size, 0, 'the crashed process\'s Leases are not taken at once');
  replacement.start();
  await waitFor('the replacement to hold shard 1', 15_000, async () => JSON.stringify([...replacement.owned()].sort()) === JSON.stringify(expected[1]));
  assert.deepEqual([...shards[0]!.owned()].sort(), expected[0], 'shard 0 kept its own and took nothing else');
});
