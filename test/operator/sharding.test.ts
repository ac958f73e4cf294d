// Sharding with real `kspec run --leader-elect --sharding auto` processes, as the deployed
// ServiceAccount, against eight ClusterTargets that share the one local API server (each with
// its own spec and policy). The schedule is far in the future: passes run on start, on ownership
// changes, on policy watch events and on pushes, so every revert below is the work of ownership.
//
// Every write stage a replica runs on a target is logged ('target write': from, to); at the end
// the stages of different replicas on one target are checked never to overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster, uniqueName } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { kspecServiceAccount, policyYaml, startKspecRun, waitFor, type KspecProcess } from '../support/operator.ts';
import { MESSAGE, assertWritesNeverOverlap, editPolicy, fleet, fleetSpec, orShowLogs, ownedTargets, ownershipLog, policyMessage } from '../support/sharding.ts';
import { rendezvousOwner } from '../../src/shard/rendezvous.ts';

const LEASE_DURATION_MS = 4_000;
const RENEW_DEADLINE_MS = 3_000;
const RETRY_PERIOD_MS = 1_000;
/** Generous room for one pass over eight targets on a busy machine. */
const ONE_PASS_MS = 90_000;

async function setup(t: Parameters<typeof testCluster>[0] & { after(fn: () => Promise<void> | void): void }, splits: string[][]) {
  const cluster = await testCluster(t);
  if (!cluster) return undefined;
  const ns = await cluster.namespace('shard');
  const group = uniqueName('kspec');
  const kubeconfig = await kspecServiceAccount(t, cluster, ns);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `fleet-${ns.slice(-6)}`;
  const f = fleet(ns, 8, splits);
  await git.createRepo(repo, f.files);
  const token = uniqueName('hook');
  const start = (pod: string) =>
    startKspecRun(t, ['--repo', git.repoUrl(repo), '--schedule', '0 0 1 1 *', '--leader-elect', '--sharding', 'auto', '--lease-name', group, '--lease-duration', String(LEASE_DURATION_MS / 1000), '--renew-deadline', String(RENEW_DEADLINE_MS / 1000), '--retry-period', String(RETRY_PERIOD_MS / 1000), '--cache-dir', mkdtempSync(join(tmpdir(), 'kspec-cache-'))], {
      KSPEC_KUBECONFIG: kubeconfig,
      KSPEC_NAMESPACE: ns,
      KSPEC_GIT_TOKEN: git.token,
      KSPEC_GIT_USERNAME: git.username,
      KSPEC_WEBHOOK_TOKEN: token,
      POD_NAME: pod,
    });
  const allApplied = async () => (await Promise.all(f.targets.map((tg) => policyMessage(cluster, f.policy(tg))))).every((m) => m === MESSAGE);
  /** Every replica answers, each owns at least one target, and together exactly the eight. */
  const split = (ps: KspecProcess[]) => async () => {
    const owned = await Promise.all(ps.map(ownedTargets));
    return owned.every((n) => n !== undefined && n > 0) && owned.reduce((a, b) => a! + b!, 0) === 8 ? owned : undefined;
  };
  return { cluster, ns, git, repo, token, fleet: f, start, allApplied, split };
}

test('two sharded replicas split eight targets; after one is killed (SIGKILL) the other owns all eight and reverts an out-of-band edit on every target', { timeout: 600_000 }, async (t) => {
  const s = await setup(t, [['pod-a', 'pod-b']]);
  if (!s) return;
  const t0 = Date.now();
  const a = await s.start('pod-a');
  const b = await s.start('pod-b');
  const owned = await orShowLogs(waitFor('both replicas to own some targets and together all eight', 120_000, s.split([a, b])), { a, b });
  await orShowLogs(waitFor('every target\'s policy to be applied', 120_000, s.allApplied), { a, b });
  t.diagnostic(`pod-a owns ${owned[0]}, pod-b owns ${owned[1]} (${Date.now() - t0} ms in)`);
  // Each owns exactly what rendezvous hashing over the two gives it.
  const ofA = s.fleet.targets.filter((tg) => rendezvousOwner(`${s.ns}/${tg}`, ['pod-a', 'pod-b']) === 'pod-a');
  assert.equal(owned[0], ofA.length);
  for (const tg of s.fleet.targets) {
    const owner = ofA.includes(tg) ? a : b;
    assert.equal(ownershipLog(owner, `${s.ns}/${tg}`).at(-1), 'took target', `${tg} is held by its rendezvous owner`);
  }

  // SIGKILL: pod-a's Leases are not released. Then someone edits every target's policy.
  a.child.kill('SIGKILL');
  const killedAt = Date.now();
  await a.exited;
  for (const tg of s.fleet.targets) await editPolicy(s.cluster, s.fleet.policy(tg));
  await waitFor('pod-b to own all eight', LEASE_DURATION_MS + ONE_PASS_MS, async () => (await ownedTargets(b)) === 8);
  const takenOver = Date.now() - killedAt;
  await waitFor('pod-b to revert the edit on every target', ONE_PASS_MS, s.allApplied);
  const reverted = Date.now() - killedAt;
  t.diagnostic(`after SIGKILL: pod-b owned all eight after ${takenOver} ms and had reverted every edit after ${reverted} ms (lease duration ${LEASE_DURATION_MS} ms)`);
  for (const tg of ofA) assert.equal(ownershipLog(b, `${s.ns}/${tg}`).at(-1), 'took target', `pod-b took ${tg}`);
  // pod-b saw the Leases of the killed replica stand still before taking them. (Only takes after
  // the kill count: while the replicas were starting, pod-b may have held a target briefly before
  // pod-a's heartbeat reached it.)
  const takeovers = b.logs('took target').filter((l) => ofA.includes(String(l.target).split('/')[1]!) && Date.parse(String(l.time)) >= killedAt);
  assert.equal(new Set(takeovers.map((l) => l.target)).size, ofA.length, 'pod-b took every target of the killed replica after the kill');
  assert.ok(takeovers.every((l) => Date.parse(String(l.time)) - killedAt >= LEASE_DURATION_MS - RENEW_DEADLINE_MS), `no target of the killed replica was taken before its Lease could have expired: ${takeovers.map((l) => Date.parse(String(l.time)) - killedAt).join(', ')} ms after the kill`);

  const writes = assertWritesNeverOverlap({ 'pod-a': a, 'pod-b': b });
  assert.ok(writes.some((w) => w.replica === 'pod-a') && writes.some((w) => w.replica === 'pod-b'));
  t.diagnostic(`${writes.length} write stages recorded, none overlapping on a target; test took ${Date.now() - t0} ms`);
});

test('three sharded replicas: SIGTERM hands targets over at once, an added replica takes its share and reverts drift on a moved target, a push reaching one replica triggers the owners', { timeout: 600_000 }, async (t) => {
  const s = await setup(t, [['pod-a', 'pod-b', 'pod-c'], ['pod-a', 'pod-c'], ['pod-a', 'pod-c', 'pod-d']]);
  if (!s) return;
  const t0 = Date.now();
  const a = await s.start('pod-a');
  const b = await s.start('pod-b');
  const c = await s.start('pod-c');
  await orShowLogs(waitFor('three replicas to split the eight targets', 120_000, s.split([a, b, c])), { a, b, c });
  await orShowLogs(waitFor('every target\'s policy to be applied', 120_000, s.allApplied), { a, b, c });

  // SIGTERM pod-b: it hands its targets over on its way out; the others take them at once.
  const ofB = s.fleet.targets.filter((tg) => rendezvousOwner(`${s.ns}/${tg}`, ['pod-a', 'pod-b', 'pod-c']) === 'pod-b');
  b.child.kill('SIGTERM');
  assert.equal(await b.exited, 0, b.stderr());
  for (const tg of ofB) assert.equal(ownershipLog(b, `${s.ns}/${tg}`).at(-1), 'handed target over', `pod-b handed ${tg} over`);
  await waitFor('pod-a and pod-c to own all eight', ONE_PASS_MS, s.split([a, c]));
  for (const tg of ofB) {
    const heir = rendezvousOwner(`${s.ns}/${tg}`, ['pod-a', 'pod-c']) === 'pod-a' ? a : c;
    const took = heir.logs('took target').find((l) => l.target === `${s.ns}/${tg}`);
    assert.ok(took, `${tg} was taken by its new owner`);
  }

  // pod-d joins: it takes its share, handed over by the others.
  const d = await s.start('pod-d');
  await waitFor('pod-a, pod-c and pod-d to split the eight', 120_000, s.split([a, c, d]));
  const ofD = s.fleet.targets.filter((tg) => rendezvousOwner(`${s.ns}/${tg}`, ['pod-a', 'pod-c', 'pod-d']) === 'pod-d');
  // Drift on a target that moved to pod-d is reverted by pod-d (its watch sees the edit).
  const moved = ofD[0]!;
  await waitFor(`pod-d to have published ${moved}'s reports`, ONE_PASS_MS, async () => d.logs('target write').some((l) => l.target === `${s.ns}/${moved}` && l.stage === 'publish'));
  await editPolicy(s.cluster, s.fleet.policy(moved));
  await waitFor(`pod-d to revert the edit on ${moved}`, ONE_PASS_MS, async () => (await policyMessage(s.cluster, s.fleet.policy(moved))) === MESSAGE);
  assert.ok(d.logs('target write').some((l) => l.target === `${s.ns}/${moved}` && l.stage === 'act'), 'pod-d acted on the moved target');
  for (const p of [a, c]) assert.ok(!p.logs('target write').some((l) => l.target === `${s.ns}/${moved}` && l.stage === 'act' && Number(l.from) > Date.parse(String(d.logs('took target').find((x) => x.target === `${s.ns}/${moved}`)!.time))), 'the old owner no longer acts on it');

  // A push that reaches pod-a only: the new commit adds a check to a spec pod-c owns; pod-c applies it.
  const ofC = s.fleet.targets.find((tg) => rendezvousOwner(`${s.ns}/${tg}`, ['pod-a', 'pod-c', 'pod-d']) === 'pod-c')!;
  const added = `${s.fleet.policy(ofC)}-pushed`;
  const after = await s.git.commit(s.repo, { [`specs/${ofC}.yaml`]: fleetSpec(s.ns, ofC, { a: policyYaml(s.fleet.policy(ofC), { namespace: s.ns, message: MESSAGE }), b: policyYaml(added, { namespace: s.ns }) }) }, 'add a check');
  const res = await fetch(`${a.base}/webhook`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ref: 'refs/heads/main', after }) });
  assert.equal(res.status, 202, await res.text());
  await waitFor('pod-c to apply the pushed check', ONE_PASS_MS, async () => (await policyMessage(s.cluster, added)) !== undefined);
  assert.ok(c.logs('pass started').some((l) => String(l.reasons).includes('received by another replica')), 'pod-c ran a pass because pod-a received the push');

  const writes = assertWritesNeverOverlap({ 'pod-a': a, 'pod-b': b, 'pod-c': c, 'pod-d': d });
  t.diagnostic(`${writes.length} write stages recorded, none overlapping on a target; test took ${Date.now() - t0} ms`);
});
