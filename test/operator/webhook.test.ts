// Push webhooks against a real `kspec run` (as the deployed ServiceAccount) with its schedule far
// in the future: a push with a good X-Hub-Signature-256 triggers a pass that applies the newly
// committed change; a bad signature gets 401 and triggers nothing, nor does a push to another branch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { inClusterTarget, kspecServiceAccount, policyYaml, sleep, specYaml, startKspecRun, waitFor } from '../support/operator.ts';

test('webhook: a good GitHub signature triggers a pass that applies the new commit; a bad one gets 401 and a push to another branch is ignored', { timeout: 180_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const t0 = Date.now();
  const ns = await cluster.namespace('webhook');
  const id = ns.slice(-8);
  const kubeconfig = await kspecServiceAccount(t, cluster, ns);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `specs-${id}`;
  const spec = (checks: string[]) => specYaml(`hook-${id}`, ns, { checks: Object.fromEntries(checks.map((c) => [c, policyYaml(`hook-${c}-${id}`, { namespace: ns })])) });
  await git.createRepo(repo, { 'targets/local.yaml': inClusterTarget(ns), 'specs/s.yaml': spec(['a']) });
  const secret = randomBytes(16).toString('hex');
  const kspec = await startKspecRun(t, ['--repo', git.repoUrl(repo), '--schedule', '0 0 1 1 *', '--cache-dir', mkdtempSync(join(tmpdir(), 'kspec-cache-'))], {
    KSPEC_KUBECONFIG: kubeconfig,
    KSPEC_NAMESPACE: ns,
    KSPEC_GIT_TOKEN: git.token,
    KSPEC_GIT_USERNAME: git.username,
    KSPEC_WEBHOOK_SECRET: secret,
  });
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const exists = (check: string) => objects.read({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `hook-${check}-${id}` } }).then(() => true, () => false);
  const passes = () => kspec.logs('pass finished').length;
  /** Waits until no pass has started or finished for `quietMs`. */
  const settle = async (quietMs = 2_000) => {
    let last = -1;
    let since = Date.now();
    await waitFor('kspec to be idle', 30_000, async () => {
      const n = kspec.logs(/^pass (started|finished)$/).length;
      if (n !== last) [last, since] = [n, Date.now()];
      return n % 2 === 0 && Date.now() - since >= quietMs;
    });
  };
  const push = (after: string, signature: string, body?: string) => {
    const payload = body ?? JSON.stringify({ ref: 'refs/heads/main', after, repository: { full_name: `acme/${repo}` } });
    return fetch(`${kspec.base}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomBytes(8).toString('hex'), 'x-hub-signature-256': signature },
      body: payload,
    });
  };
  const sign = (body: string, key = secret) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

  await waitFor('kspec run to be ready (first pass done)', 90_000, () => fetch(`${kspec.base}/readyz`).then((r) => r.status === 200, () => false));
  assert.ok(await exists('a'), kspec.stderr());
  await settle();
  const before = passes();

  // A good signature: the pass runs now, not at the (far) next schedule, and applies the commit.
  const shaB = await git.commit(repo, { 'specs/s.yaml': spec(['a', 'b']) }, 'Add check b');
  const goodBody = JSON.stringify({ ref: 'refs/heads/main', after: shaB });
  const sentAt = Date.now();
  const good = await push(shaB, sign(goodBody), goodBody);
  assert.equal(good.status, 202, await good.text());
  // The schedule is a year away: only the push can start this pass (its reasons name it below).
  await waitFor('the pushed commit to be applied', 90_000, () => exists('b'));
  const applied = Date.now() - sentAt;
  t.diagnostic(`good signature: policy of the pushed commit applied ${applied} ms after the push`);
  assert.ok(kspec.logs('pass started').some((l) => JSON.stringify(l.reasons).includes(`push refs/heads/main ${shaB}`)), 'the pass names the push');
  await settle();
  assert.ok(passes() > before);
  const startedAfterGood = kspec.logs('pass started').length;

  // A bad signature (signed with another key) and a missing one: 401, no pass, nothing applied.
  const shaC = await git.commit(repo, { 'specs/s.yaml': spec(['a', 'b', 'c']) }, 'Add check c');
  const badBody = JSON.stringify({ ref: 'refs/heads/main', after: shaC });
  const bad = await push(shaC, sign(badBody, 'not-the-secret'), badBody);
  assert.equal(bad.status, 401);
  const tampered = await push(shaC, sign(goodBody), badBody); // a valid signature of another body
  assert.equal(tampered.status, 401);
  const unsigned = await fetch(`${kspec.base}/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push' }, body: badBody });
  assert.equal(unsigned.status, 401);
  // A well-signed push to a branch kspec does not serve (it serves the remote's default, main).
  const otherBranchBody = JSON.stringify({ ref: 'refs/heads/feature', after: shaC });
  const otherBranch = await push(shaC, sign(otherBranchBody), otherBranchBody);
  assert.equal(otherBranch.status, 202);
  assert.match(await otherBranch.text(), /"ignored":true.*kspec serves main/);
  await sleep(Math.max(3_000, 3 * applied));
  // Only the policy watch may start passes now (kspec's watch also sees other tests' kspec-owned
  // policies on this shared API server); those re-check the commit kspec already has.
  const since = kspec.logs('pass started').slice(startedAfterGood).map((l) => JSON.stringify(l.reasons));
  assert.deepEqual(since.filter((r) => !r.includes('"watch ')), [], 'no pass was triggered by the rejected pushes nor the other branch');
  assert.equal(await exists('c'), false, 'the unauthenticated push applied nothing');
  const metrics = await kspec.metrics();
  assert.match(metrics, /kspec_webhook_requests_total\{outcome="accepted"\} 1/);
  assert.match(metrics, /kspec_webhook_requests_total\{outcome="unauthorized"\} 3/);
  assert.match(metrics, /kspec_webhook_requests_total\{outcome="ignored"\} 1/);
  t.diagnostic(`webhook test took ${Date.now() - t0} ms`);
});
