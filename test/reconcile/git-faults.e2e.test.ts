// The specs repository failing under a pass, on real parts: git http-backend behind a proxy that
// refuses connections, answers 500, drops the connection or never answers, and the branch
// force-pushed or deleted. While Git fails, the last good state stays in effect (a policy deleted
// by hand is put back), nothing is pruned, and the spec's Ready condition says why; the first
// pass after the fault recovers on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSpecification } from '../../src/api/types.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import type { FaultProxy } from '../support/fault-proxy.ts';
import { policyYaml, specYaml } from '../support/operator.ts';
import { passFixture } from '../support/pass-fixture.ts';

const specOf = (ns: string, id: string, checks: string[]) =>
  specYaml(`gf-${id}`, ns, { mode: 'enforce', checks: Object.fromEntries(checks.map((c) => [c, policyYaml(`gf-${c}-${id}`, { namespace: ns })])) });

const faults: Array<[string, (p: FaultProxy) => Promise<void> | void, (p: FaultProxy) => Promise<void> | void, RegExp]> = [
  ['the remote is down (connection refused)', (p) => p.down(), (p) => p.up(), /ECONNREFUSED/],
  ['the remote answers 500', (p) => void (p.mode = { kind: 'status', status: 500 }), (p) => void (p.mode = { kind: 'pass' }), /500/],
  ['the remote drops the connection', (p) => void (p.mode = { kind: 'reset' }), (p) => void (p.mode = { kind: 'pass' }), /socket hang up|ECONNRESET/],
  ['the remote never answers', (p) => void (p.mode = { kind: 'hang' }), (p) => void (p.mode = { kind: 'pass' }), /timed out/],
];

test('Git down, answering 500, dropping or hanging, and the branch deleted: the last good state stays, nothing is pruned, status says why, the next pass recovers; a force-push is followed', { timeout: 300_000 }, async (t) => {
  const f = await passFixture(t, (ns, id) => ({ 'specs/s.yaml': specOf(ns, id, ['a', 'b']) }));
  if (!f) return;
  const proxy = await startFaultProxy(f.git.url);
  t.after(() => proxy.stop());
  const pass = () => f.pass({ repoUrl: `${proxy.url}/${f.repo}.git`, idleTimeoutMs: 1000 });
  const policy = (check: string) => f.objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `gf-${check}-${f.id}` } }).then(() => true, () => false);
  const ready = async () => (await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `gf-${f.id}`))?.status?.conditions?.find((c) => c.type === 'Ready');
  const outcome = (r: PassResult) => r.specs.find((s) => s.plan.name === `gf-${f.id}`)!;

  /** Git fails (`fail`) after a commit that drops check b; then heals. */
  const round = async (name: string, fail: () => Promise<void> | void, heal: () => Promise<void> | void, error: RegExp) => {
    const before = await pass();
    assert.equal(before.ok, true, `${name}: ${outcome(before).errors.join('\n')}`);
    const good = before.commit!;
    assert.ok(await policy('b'));
    // Committed but unseen while Git fails: dropping check b must not prune it before Git is back.
    const dropB = await f.git.commit(f.repo, { 'specs/s.yaml': specOf(f.ns, f.id, ['a']) }, 'Drop check b');
    await fail();
    await f.objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `gf-a-${f.id}` } });
    const failed = await pass();
    assert.equal(failed.ok, false, name);
    assert.match(failed.fetchError ?? '', error, name);
    assert.equal(outcome(failed).plan.desiredFrom, 'last-good', name);
    assert.ok(await policy('a'), `${name}: the last good state is still enforced (a put back)`);
    assert.ok(await policy('b'), `${name}: nothing is pruned`);
    const condition = await ready();
    assert.equal(condition?.reason, 'SourceUnavailableLastGoodKept', name);
    assert.match(condition?.message ?? '', error, name);
    assert.match(condition?.message ?? '', new RegExp(`; keeping the last good state from commit ${good.slice(0, 12)}, nothing is pruned$`), name);
    // Recovery needs nobody: the next pass fetches again and applies what Git now holds.
    await heal();
    const recovered = await pass();
    assert.equal(recovered.ok, true, `${name}: ${outcome(recovered).errors.join('\n')}`);
    assert.equal(recovered.commit, dropB, name);
    assert.equal((await ready())?.reason, 'Reconciled', name);
    assert.equal(await policy('b'), false, `${name}: the commit seen after recovery is applied`);
    await f.git.commit(f.repo, { 'specs/s.yaml': specOf(f.ns, f.id, ['a', 'b']) }, 'Bring check b back');
  };

  for (const [name, fail, heal, error] of faults) await round(name, () => fail(proxy), () => heal(proxy), error);

  // The branch deleted (and pushed again later): the same, and the message names the branch.
  let deleted = '';
  await round('the branch is deleted', async () => {
    deleted = await f.git.headSha(f.repo);
    await f.git.setBranch(f.repo, 'main', null);
  }, () => f.git.setBranch(f.repo, 'main', deleted), /branch or tag "main" not found in/);
  assert.match(await f.metrics.registry.metrics(), new RegExp(`kspec_git_fetch_failures_total ${faults.length + 1}`));

  // History force-pushed: the branch now holds a commit that is not a descendant of what kspec
  // fetched last (a rewritten history). That is the desired state now: kspec follows it.
  const synced = await pass();
  assert.ok(synced.ok);
  const root = (await f.git.log(f.repo)).at(-1)!.sha;
  await f.git.setBranch(f.repo, 'rewrite', root);
  const rewritten = await f.git.commit(f.repo, { 'specs/s.yaml': specOf(f.ns, f.id, ['a', 'c']) }, 'Rewritten history', { branch: 'rewrite' });
  await f.git.setBranch(f.repo, 'main', rewritten);
  const forced = await pass();
  assert.equal(forced.ok, true, outcome(forced).errors.join('\n'));
  assert.equal(forced.commit, rewritten);
  assert.ok(await policy('c'), 'the rewritten history is applied');
  // And forced back to an older commit (a rollback), which the cache already holds.
  await f.git.setBranch(f.repo, 'main', synced.commit!);
  const rolledBack = await pass();
  assert.equal(rolledBack.commit, synced.commit);
  assert.ok(rolledBack.ok);
  assert.ok(await policy('b'));
  assert.equal(await policy('c'), false);
});
