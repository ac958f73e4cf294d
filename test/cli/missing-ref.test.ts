// A branch that does not exist is named plainly, with the branches that do, by every command
// that reads the repository; plan fails instead of planning the last good state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { inClusterTarget, policyYaml, specYaml } from '../support/operator.ts';

const files = (ns: string, id: string) => ({
  'targets/local.yaml': inClusterTarget(ns),
  'specs/spec.yaml': specYaml(`ref-${id}`, ns, { checks: { app: policyYaml(`ref-${id}`, { namespace: ns }) } }),
});

test('plan --branch that does not exist: exit 2 naming the branch, the repository and its branches; the cached last good state is not planned', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('ref');
  const id = ns.slice(-8);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-ref-')) });
  t.after(() => git.stop());
  await git.createRepo('specs', files(ns, id));
  execFileSync('git', ['-C', git.repoPath('specs'), 'branch', 'release-1', 'main']);
  const env = { KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_GIT_TOKEN: git.token, KSPEC_GIT_USERNAME: git.username, KSPEC_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kspec-c-')), KSPEC_LOG_LEVEL: 'error' };
  const repo = git.repoUrl('specs');
  // A good state to fall back on: the spec's mirror in the cluster, and the clone in the cache.
  const applied = await cli(['reconcile', '--once', '--repo', repo, '--branch', 'main'], env);
  assert.equal(applied.code, 0, applied.err + applied.out);
  const good = await cli(['plan', '--repo', repo, '--branch', 'main'], env);
  assert.equal(good.code, 0, good.err + good.out);
  assert.match(good.out, new RegExp(`ref-${id} → cluster local`));

  const missing = await cli(['plan', '--repo', repo, '--branch', 'nobranch'], env);
  assert.equal(missing.code, 2);
  assert.equal(missing.out, '', 'nothing is planned');
  assert.equal(missing.err, `kspec plan: branch or tag "nobranch" not found in ${repo}; branches there: main, release-1\n`);

  // Credentials in the URL never reach the message.
  const withToken = repo.replace('http://', `http://${git.username}:${git.token}@`);
  const redacted = await cli(['plan', '--repo', withToken, '--branch', 'nobranch'], { ...env, KSPEC_GIT_TOKEN: '' });
  assert.equal(redacted.code, 2);
  assert.equal(redacted.err, `kspec plan: branch or tag "nobranch" not found in ${repo}; branches there: main, release-1\n`);

  // reconcile --once says the same and changes nothing: the last good state stays in effect.
  const reconcile = await cli(['reconcile', '--once', '--repo', repo, '--branch', 'nobranch'], env);
  assert.equal(reconcile.code, 1);
  assert.match(reconcile.out, /^source: branch or tag "nobranch" not found in \S+; branches there: main, release-1$/m);
  assert.match(reconcile.out, new RegExp(`^ref-${id} → cluster local .*\n  ! branch or tag "nobranch" not found in \\S+; branches there: main, release-1; the last good state stays in effect$`, 'm'));
  const policy = await cluster.kc.makeApiClient((await import('@kubernetes/client-node')).CustomObjectsApi).getClusterCustomObject({ group: 'kyverno.io', version: 'v1', plural: 'clusterpolicies', name: `ref-${id}` });
  assert.equal((policy as { metadata: { name: string } }).metadata.name, `ref-${id}`, 'the policy is kept');
});

test('validate and render --ref that does not exist in a local repository: exit 2 with the branches there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-ref-local-'));
  const gitIn = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { encoding: 'utf8' });
  gitIn('init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'specs'));
  for (const [path, text] of Object.entries(files('x', 'local'))) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  gitIn('add', '-A');
  gitIn('commit', '-qm', 'specs');
  gitIn('branch', 'staging');
  assert.equal((await cli(['validate', dir, '--ref', 'staging'])).code, 0);
  for (const command of ['validate', 'render']) {
    const run = await cli([command, dir, '--ref', 'stagin']);
    assert.equal(run.code, 2);
    assert.equal(run.err, `kspec ${command}: branch or tag "stagin" not found in ${dir}; branches there: main, staging\n`);
  }
});
