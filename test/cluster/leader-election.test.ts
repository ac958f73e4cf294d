// Two electors against the real API server: one leads; release() hands over at once; a leader
// that stops renewing (crash) is replaced within the lease duration.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { LeaderElector, defaultIdentity, type LeaderElectionOptions } from '../../src/cluster/leader-election.ts';
import { testCluster, uniqueName } from '../support/cluster.ts';

// Short timings: lease 2 s (the API stores whole seconds), renew deadline 1.5 s, retry 0.25 s.
const LEASE_MS = 2000;
const TIMING = { leaseDurationMs: LEASE_MS, renewDeadlineMs: 1500, retryPeriodMs: 250 };

interface Candidate {
  elector: LeaderElector;
  started: number;
  stopped: number;
  signals: AbortSignal[];
}

function candidate(kc: KubeConfig, namespace: string, name: string, id: string, extra: Partial<LeaderElectionOptions> = {}): Candidate {
  const c: Candidate = { started: 0, stopped: 0, signals: [], elector: undefined as unknown as LeaderElector };
  c.elector = new LeaderElector({
    kubeConfig: kc,
    namespace,
    name,
    identity: id,
    ...TIMING,
    onStartedLeading: (signal) => {
      c.started++;
      c.signals.push(signal);
    },
    onStoppedLeading: () => {
      c.stopped++;
    },
    ...extra,
  });
  return c;
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

async function readLease(kc: KubeConfig, namespace: string, name: string) {
  return kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace });
}

async function setup(t: TestContext) {
  const cluster = await testCluster(t);
  if (!cluster) return undefined;
  const namespace = await cluster.namespace('leader');
  return { kc: cluster.kc, namespace, lease: uniqueName('kspec-leader') };
}

describe('leader election', () => {
  test('identity is the pod name plus a random suffix', () => {
    const a = defaultIdentity({ POD_NAME: 'kspec-7d9f-abcde' });
    const b = defaultIdentity({ POD_NAME: 'kspec-7d9f-abcde' });
    assert.match(a, /^kspec-7d9f-abcde_[0-9a-f]{8}$/);
    assert.notEqual(a, b);
  });

  test('rejects timings that allow two leaders', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const base = { kubeConfig: kc, namespace: 'ns', onStartedLeading: () => {} };
    assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }));
    assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 2000, retryPeriodMs: 2000 }));
  });

  test('two electors: exactly one leads, and the Lease names it', async (t) => {
    const env = await setup(t);
    if (!env) return;
    const a = candidate(env.kc, env.namespace, env.lease, 'a');
    const b = candidate(env.kc, env.namespace, env.lease, 'b');
    void a.elector.run();
    void b.elector.run();
    try {
      await until('a leader', () => a.elector.isLeader() || b.elector.isLeader(), 10_000);
      // Several renew periods later there is still exactly one leader.
      await new Promise((r) => setTimeout(r, 3 * TIMING.retryPeriodMs + 200));
      assert.equal(Number(a.elector.isLeader()) + Number(b.elector.isLeader()), 1);
      assert.equal(a.started + b.started, 1);
      const leader = a.elector.isLeader() ? a : b;
      const lease = await readLease(env.kc, env.namespace, env.lease);
      assert.equal(lease.spec?.holderIdentity, leader.elector.identity);
      assert.equal(lease.spec?.leaseDurationSeconds, 2);
      assert.equal(a.elector.getLeader(), leader.elector.identity);
      assert.equal(b.elector.getLeader(), leader.elector.identity);
    } finally {
      await Promise.all([a.elector.release(), b.elector.release()]);
    }
  });

  test('release() with nobody waiting leaves a Lease without holder', async (t) => {
    const env = await setup(t);
    if (!env) return;
    const a = candidate(env.kc, env.namespace, env.lease, 'alone');
    void a.elector.run();
    await until('alone leads', () => a.elector.isLeader(), 10_000);
    const held = await readLease(env.kc, env.namespace, env.lease);
    assert.equal(held.spec?.holderIdentity, 'alone');
    assert.ok(held.spec?.renewTime, 'renewTime written');
    await a.elector.release();
    const lease = await readLease(env.kc, env.namespace, env.lease);
    assert.equal(lease.spec?.holderIdentity ?? '', '');
    assert.equal(lease.spec?.leaseDurationSeconds, 1);
    await a.elector.release(); // idempotent
  });

  test('release() clears holderIdentity and the other replica takes over at once', async (t) => {
    const env = await setup(t);
    if (!env) return;
    const a = candidate(env.kc, env.namespace, env.lease, 'first');
    void a.elector.run();
    await until('first leads', () => a.elector.isLeader(), 10_000);
    const b = candidate(env.kc, env.namespace, env.lease, 'second');
    void b.elector.run();
    try {
      await new Promise((r) => setTimeout(r, 2 * TIMING.retryPeriodMs));
      assert.equal(b.elector.isLeader(), false);

      const t0 = Date.now();
      await a.elector.release();
      assert.equal(a.elector.isLeader(), false);
      assert.equal(a.signals[0].aborted, true, 'the leader work was told to stop');
      assert.equal(a.stopped, 1);
      const lease = await readLease(env.kc, env.namespace, env.lease);
      // Either still cleared or already taken by the other replica; never the released one.
      assert.notEqual(lease.spec?.holderIdentity, 'first');

      await until('second leads', () => b.elector.isLeader(), 30_000);
      t.diagnostic(`handover took ${Date.now() - t0} ms`);
      // At once: because the Lease was released, not because it expired.
      assert.equal(b.elector.acquiredFrom, 'released');
      const after = await readLease(env.kc, env.namespace, env.lease);
      assert.equal(after.spec?.holderIdentity, 'second');
      assert.ok((after.spec?.leaseTransitions ?? 0) >= 1);
    } finally {
      await Promise.all([a.elector.release(), b.elector.release()]);
    }
  });

  test('a crashed leader (stops renewing, no release) is replaced within the lease duration', async (t) => {
    const env = await setup(t);
    if (!env) return;
    const a = candidate(env.kc, env.namespace, env.lease, 'crashy', { releaseOnCancel: false });
    void a.elector.run();
    await until('crashy leads', () => a.elector.isLeader(), 10_000);
    const b = candidate(env.kc, env.namespace, env.lease, 'survivor');
    void b.elector.run();
    try {
      // b must have observed the lease before the crash so that its clock for expiry starts.
      await until('survivor observes the leader', () => b.elector.getLeader() === 'crashy', 5_000);
      await new Promise((r) => setTimeout(r, TIMING.retryPeriodMs));
      const crashedAt = Date.now();
      await a.elector.stop(); // no release: the Lease still names 'crashy'
      const lease = await readLease(env.kc, env.namespace, env.lease);
      assert.equal(lease.spec?.holderIdentity, 'crashy');

      await until('survivor leads', () => b.elector.isLeader(), 60_000);
      const took = Date.now() - crashedAt;
      t.diagnostic(`takeover took ${took} ms`);
      // The survivor waits for the lease to expire as it observed it, never less.
      assert.equal(b.elector.acquiredFrom, 'expired');
      assert.ok(took >= LEASE_MS - TIMING.retryPeriodMs - 500, `takeover too early (${took} ms): lease not respected`);
      assert.equal((await readLease(env.kc, env.namespace, env.lease)).spec?.holderIdentity, 'survivor');
    } finally {
      await b.elector.release();
    }
  });

  test('an expired lease is taken by exactly one of two racing candidates', async (t) => {
    const env = await setup(t);
    if (!env) return;
    const dead = candidate(env.kc, env.namespace, env.lease, 'dead', { releaseOnCancel: false });
    void dead.elector.run();
    await until('dead leads', () => dead.elector.isLeader(), 10_000);
    const racers = ['r1', 'r2', 'r3'].map((id) => candidate(env.kc, env.namespace, env.lease, id));
    for (const r of racers) void r.elector.run();
    try {
      await until('racers observe', () => racers.every((r) => r.elector.getLeader() === 'dead'), 5_000);
      await dead.elector.stop();
      await until('a racer leads', () => racers.some((r) => r.elector.isLeader()), LEASE_MS + 3000);
      await new Promise((r) => setTimeout(r, 4 * TIMING.retryPeriodMs));
      assert.equal(racers.filter((r) => r.elector.isLeader()).length, 1);
      assert.equal(racers.reduce((n, r) => n + r.started, 0), 1, 'leadership started once');
    } finally {
      await Promise.all(racers.map((r) => r.elector.release()));
    }
  });
});
