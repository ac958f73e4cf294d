// Leader failover with real `kspec run --leader-elect` processes against one spec repository,
// as the deployed ServiceAccount (its Role names this test's Lease). The schedule is far in the
// future, so a pass runs only when a replica becomes leader: each takeover must reconcile what
// changed while nobody led, and nothing may be applied twice.
//
// Short lease settings keep it quick. How each Lease was taken (expired after a crash, released
// on SIGTERM) is read from the replicas' logs, so the test asserts what happened, not how fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { testCluster, uniqueName } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { inClusterTarget, kspecServiceAccount, policyYaml, specYaml, startKspecRun, waitFor, type KspecProcess } from '../support/operator.ts';

// Short lease settings (kspec run --lease-duration/--renew-deadline/--retry-period) keep the test quick.
const LEASE_DURATION_MS = 4_000;
const RENEW_DEADLINE_MS = 3_000;
const RETRY_PERIOD_MS = 1_000;

test('two kspec run replicas: one leads; kill -9 hands over within the lease duration, SIGTERM releases the Lease at once; no pass is applied twice', { timeout: 180_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const t0 = Date.now();
  const ns = await cluster.namespace('leader');
  const id = ns.slice(-8);
  const lease = uniqueName('kspec-leader');
  const kubeconfig = await kspecServiceAccount(t, cluster, ns, { leaseName: lease });
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `specs-${id}`;
  const specName = `lead-${id}`;
  const policyName = `lead-a-${id}`;
  await git.createRepo(repo, { 'targets/local.yaml': inClusterTarget(ns), 'specs/s.yaml': specYaml(specName, ns, { checks: { a: policyYaml(policyName, { namespace: ns }) } }) });

  const start = (pod: string) =>
    startKspecRun(t, ['--repo', git.repoUrl(repo), '--schedule', '0 0 1 1 *', '--leader-elect', '--lease-name', lease, '--lease-duration', String(LEASE_DURATION_MS / 1000), '--renew-deadline', String(RENEW_DEADLINE_MS / 1000), '--retry-period', String(RETRY_PERIOD_MS / 1000), '--cache-dir', mkdtempSync(join(tmpdir(), 'kspec-cache-'))], {
      KSPEC_KUBECONFIG: kubeconfig,
      KSPEC_NAMESPACE: ns,
      KSPEC_GIT_TOKEN: git.token,
      KSPEC_GIT_USERNAME: git.username,
      POD_NAME: pod,
    });
  const leases = cluster.kc.makeApiClient(CoordinationV1Api);
  /** The Lease's holderIdentity ('' when released: cleared or absent), undefined without a Lease. */
  const holder = async () => {
    const l = await leases.readNamespacedLease({ namespace: ns, name: lease }).catch(() => undefined);
    return l ? (l.spec?.holderIdentity ?? '') : undefined;
  };
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const policyExists = () => objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: policyName } }).then(() => true, () => false);
  const deletePolicy = () => objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: policyName } });
  const events = async (reason: string) =>
    (await cluster.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns })).items.filter((e) => e.involvedObject.name === specName && e.reason === reason).length;
  /** Exactly one of `procs` reports kspec_leader 1 and the others 0; returns the leader. */
  const soleLeader = async (procs: KspecProcess[]) => {
    const values = await Promise.all(procs.map((p) => p.gauge('kspec_leader')));
    if (values.some((v) => v === undefined)) return undefined;
    const leaders = procs.filter((_, i) => values[i] === 1);
    return leaders.length === 1 && values.filter((v) => v === 0).length === procs.length - 1 ? leaders[0] : undefined;
  };
  const name = (p: KspecProcess, a: KspecProcess) => (p === a ? 'pod-a' : 'pod-b');

  // 1. Two replicas: exactly one leads and reconciles.
  const a = await start('pod-a');
  const b = await start('pod-b');
  const first = await waitFor('exactly one leader', 30_000, () => soleLeader([a, b]));
  const standby = first === a ? b : a;
  await waitFor('the first pass to create the policy', 30_000, policyExists);
  assert.match((await holder()) ?? '', new RegExp(`^${name(first, a)}_`), 'the Lease names the replica reporting kspec_leader 1');
  // Events are published after the actions: wait for the pass to finish.
  await waitFor('the first pass to finish', 30_000, async () => first.logs('pass finished').length === 1);
  assert.equal(await events('PolicyCreated'), 1);
  assert.equal(standby.logs('pass started').length, 0, `the standby runs no pass:\n${standby.stderr()}`);
  // It stays that way for a few retry periods (no flapping, no second leader).
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, RETRY_PERIOD_MS));
    assert.equal(await soleLeader([a, b]), first, 'one stable leader');
  }
  t.diagnostic(`${name(first, a)} leads, ${name(standby, a)} stands by (${Date.now() - t0} ms in)`);

  // 2. kill -9 of the leader: the Lease is not released, so the standby waits for it to expire.
  first.child.kill('SIGKILL');
  const killedAt = Date.now();
  await first.exited;
  await deletePolicy();
  await waitFor('the standby to take over after the crash', 60_000, async () => (await standby.gauge('kspec_leader')) === 1);
  const takeover = Date.now() - killedAt;
  await waitFor('the new leader to re-create the policy deleted while nobody led', 30_000, policyExists);
  const reconciled = Date.now() - killedAt;
  t.diagnostic(`crash takeover: leader after ${takeover} ms, policy re-created after ${reconciled} ms (lease duration ${LEASE_DURATION_MS} ms)`);
  assert.ok(takeover >= LEASE_DURATION_MS - 2 * RETRY_PERIOD_MS - 1_000, `a crashed leader's Lease is not taken before it expires (took ${takeover} ms)`);
  assert.deepEqual(standby.logs('acquired lease').map((l) => l.from), ['expired'], 'the standby took the Lease because it expired, not because it was released');
  assert.match((await holder()) ?? '', new RegExp(`^${name(standby, a)}_`));

  // 3. A new standby joins; SIGTERM of the leader releases the Lease and the standby takes over
  //    in about one retry period, far sooner than the lease duration.
  const c = await start('pod-c');
  await waitFor('pod-c to stand by', 30_000, async () => (await c.gauge('kspec_leader')) === 0);
  assert.equal(await soleLeader([standby, c]), standby);
  assert.equal(c.logs('pass started').length, 0, 'a standby runs no pass');
  await deletePolicy();
  // Nobody reconciles the deletion until the next leadership change (the schedule is far away;
  // a policy watch, once `kspec run` has one, may revert it sooner, which is fine).
  const termAt = Date.now();
  standby.child.kill('SIGTERM');
  let sawReleased = false;
  const taken = waitFor('pod-c to take over after SIGTERM', 30_000, async () => {
    if ((await holder()) === '') sawReleased = true;
    return (await c.gauge('kspec_leader')) === 1;
  }, 50);
  assert.equal(await standby.exited, 0, standby.stderr());
  await taken;
  const handover = Date.now() - termAt;
  await waitFor('pod-c to re-create the policy', 30_000, policyExists);
  t.diagnostic(`SIGTERM handover: pod-c leads after ${handover} ms (released Lease observed: ${sawReleased})`);
  assert.deepEqual(c.logs('acquired lease').map((l) => l.from), ['released'], 'pod-c took the Lease because SIGTERM released it, without waiting for it to expire');
  assert.ok(standby.logs('pass started').length >= 1);

  await waitFor('pod-c\'s pass to finish', 30_000, async () => c.logs('pass finished').length >= 1);

  // 4. SIGTERM of the last replica: the Lease is left released (holderIdentity empty).
  c.child.kill('SIGTERM');
  assert.equal(await c.exited, 0, c.stderr());
  assert.equal(await holder(), '', 'the Lease is released on SIGTERM');

  // No pass was applied twice: at most one creation per actual drift (the initial create and the
  // two deletions), whichever replica (or watch event) reconciled it. The leader's policy watch may
  // re-create the second deletion just before its SIGTERM; a pass stopped by SIGTERM leaves
  // publishing (its Events too) to the next leader, which then finds nothing to do: 2 Events.
  const created = await events('PolicyCreated');
  assert.ok(created === 3 || created === 2, `one PolicyCreated Event per creation, none twice (saw ${created})`);
  assert.equal(await events('DriftDetected'), created);
  const passes = [a, b, c].map((p) => p.logs('pass started').map((l) => JSON.stringify(l.reasons)).join(' '));
  t.diagnostic(`passes started (reasons): pod-a ${passes[0]}; pod-b ${passes[1]}; pod-c ${passes[2]}`);
  t.diagnostic(`leader failover test took ${Date.now() - t0} ms`);
});
