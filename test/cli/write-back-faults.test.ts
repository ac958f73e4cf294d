// Write-back under faults, on real parts (kube-apiserver, git http-backend, the OpenAPI-validated
// GitHub fake): kspec killed with SIGKILL between its commit and its push, and GitHub answering
// 5xx or asking for an hour's wait. Each time the next pass completes the write-back, and nothing
// is lost or written twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { startGitHubFake } from '../support/github-fake.ts';
import { inClusterTarget, policyYaml, specYaml } from '../support/operator.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'kspec.js');

/** The real kspec executable as a child whose pid the test holds, so it can kill exactly it. */
function startKspec(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{ signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (_code, signal) => resolve({ signal, stderr })));
  return { child, exited };
}

/** A report-only spec: its drift (a missing policy) is the same on every pass, so its reports are too. */
const reportOnly = (ns: string, id: string, checks: string[]) =>
  specYaml(`wbf-${id}`, ns, { mode: 'monitor', remediation: 'report', checks: Object.fromEntries(checks.map((c) => [c, policyYaml(`wbf-${c}-${id}`, { namespace: ns })])) });

test('kspec killed by SIGKILL between commit and push: the next pass pushes the reports once; killed after the push landed: nothing is written twice', { timeout: 180_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('wbkill');
  const id = ns.slice(-8);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-wbkill-')) });
  t.after(() => git.stop());
  await git.createRepo('specs', { 'targets/local.yaml': inClusterTarget(ns), 'specs/s.yaml': reportOnly(ns, id, ['a']) });
  const env = {
    KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_GIT_TOKEN: git.token, KSPEC_GIT_USERNAME: git.username,
    KSPEC_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kspec-wbkill-cache-')), KSPEC_LOG_LEVEL: 'error',
  };
  const args = ['reconcile', '--once', '--repo', git.repoUrl('specs'), '--branch', 'main', '--write-back', 'commit'];
  const reportsLog = async () => ((await git.branches('specs'))['kspec-reports'] ? git.log('specs', 'kspec-reports') : []);

  // 1. Killed while its push is on the wire: the commit is in kspec's cache, the remote never gets it.
  const first = startKspec(args, env);
  git.beforeReceivePack = async () => {
    first.child.kill('SIGKILL');
    await first.exited;
    throw new Error('the pushing process died');
  };
  assert.equal((await first.exited).signal, 'SIGKILL');
  git.beforeReceivePack = undefined;
  assert.deepEqual(await reportsLog(), [], 'the push never landed');

  // The next pass, from the same cache, pushes the reports: nothing lost.
  const second = await cli(args, env);
  assert.match(second.out, /reports committed to kspec-reports/, second.err);
  const afterSecond = await reportsLog();
  assert.equal(afterSecond.length, 1, 'one commit of reports');
  assert.ok(await git.readFile('specs', 'kspec-reports', `reports/local/wbf-${id}/drift.yaml`));

  // 2. A new check changes the reports. Killed once its push has reached the server: the push lands.
  const shaB = await git.commit('specs', { 'specs/s.yaml': reportOnly(ns, id, ['a', 'b']) }, 'Add check b');
  const third = startKspec(args, env);
  git.beforeReceivePack = async () => {
    third.child.kill('SIGKILL');
    await third.exited;
  };
  assert.equal((await third.exited).signal, 'SIGKILL');
  git.beforeReceivePack = undefined;
  // The server finishes the push on its own after the client died.
  let afterThird = await reportsLog();
  while (afterThird.length < 2) {
    await new Promise((r) => setTimeout(r, 50));
    afterThird = await reportsLog();
  }
  assert.equal(afterThird.length, 2, 'the push landed although kspec never saw the answer');
  assert.match(afterThird[0].message, new RegExp(shaB.slice(0, 7)));

  // The next pass finds its reports already there: no second commit of the same results.
  const fourth = await cli(args, env);
  assert.equal(fourth.code, 0, fourth.err);
  assert.doesNotMatch(fourth.out, /reports committed/);
  assert.deepEqual((await reportsLog()).map((c) => c.sha), afterThird.map((c) => c.sha));
  assert.equal((await git.log('specs', 'main')).length, 2, 'the watched branch holds only the human commits');
});

test('GitHub asking for an hour\'s wait fails the write-back stage at once and the next pass opens the pull request; 5xx answers are retried within the pass; one PR, one branch commit', { timeout: 180_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('wbgh');
  const id = ns.slice(-8);
  const token = `ghp_kspecWbFaults${id}00000000000000`;
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-wbgh-')), username: 'x-access-token', token });
  t.after(() => git.stop());
  await git.createRepo('specs', { 'targets/local.yaml': inClusterTarget(ns), 'specs/s.yaml': reportOnly(ns, id, ['a']) });
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token, branchExists: async (b) => b in (await git.branches('specs')) });
  t.after(() => fake.stop());
  const env = {
    KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kspec-wbgh-cache-')), KSPEC_LOG_LEVEL: 'error',
    KSPEC_GIT_TOKEN: token, GITHUB_TOKEN: token, KSPEC_GITHUB_REPOSITORY: 'acme/specs', KSPEC_GITHUB_API_URL: fake.baseUrl,
  };
  const args = ['reconcile', '--once', '--repo', git.repoUrl('specs'), '--branch', 'main', '--write-back', 'pull-request', '--write-back-timeout', '90s'];
  const branch = `kspec/drift/local/wbf-${id}`;

  // 1. Creating the PR is rate-limited for an hour: the stage gives up at once and says so.
  fake.injectRateLimit({ kind: 'retry-after', status: 429, retryAfter: 3600, method: 'POST', path: '/repos/acme/specs/pulls' });
  const limited = await cli(args, env);
  assert.equal(limited.code, 1);
  assert.match(limited.err, /may be retried in 3600 s, more than the \d+ s write-back may still wait; the next pass retries/);
  assert.equal(fake.pulls.length, 0);
  const pushed = await git.headSha('specs', branch);

  // 2. Next pass: GitHub answers 502 twice, then accepts. The PR is opened on the branch already pushed.
  fake.injectRateLimit({ kind: 'server-error', status: 502, method: 'POST', path: '/repos/acme/specs/pulls', times: 2 });
  const recovered = await cli(args, env);
  assert.match(recovered.out, /drift pull request opened/, recovered.err);
  assert.equal(fake.pulls.length, 1, 'one pull request');
  assert.equal(fake.pulls[0].head, branch);
  assert.deepEqual(fake.requests.filter((r) => r.operationId === 'pulls/create').map((r) => r.status), [429, 502, 502, 201]);
  assert.equal(await git.headSha('specs', branch), pushed, 'the branch was not pushed again');
  assert.equal((await git.log('specs', branch)).length, 2, 'one kspec commit on top of main');

  // 3. And a primary limit resetting in an hour while listing PRs: nothing changes, nothing is duplicated.
  fake.injectRateLimit({ kind: 'primary', status: 403, resetIn: 3600, method: 'GET', path: '/repos/acme/specs/pulls' });
  const again = await cli(args, env);
  assert.match(again.err, /primary rate limit/);
  assert.equal((await cli(args, env)).code, 0);
  assert.equal(fake.pulls.length, 1);
  assert.deepEqual(fake.invalidRequests, []);
});
