// Secrets never leave kspec: every command runs with known secret values (a password in the
// repository URL's userinfo, a token in its query, KSPEC_GIT_TOKEN, GITHUB_TOKEN, and a wrong
// password that makes Git fail), against the real API server, the real Git HTTP server and the
// GitHub fake; then every output, file, commit, report, Event, policy, GitHub request body and
// metric is searched for the values in every encoding they could travel in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { startGitHubFake } from '../support/github-fake.ts';
import { inClusterTarget, policyYaml, specYaml, startKspecRun, waitFor } from '../support/operator.ts';
import { kspec } from '../support/kspec-cli.ts';

const USER = 'x-access-token';

function specFiles(ns: string, id: string): Record<string, string> {
  return {
    'specs/target.yaml': inClusterTarget(ns),
    'specs/spec.yaml': specYaml(`sec-${id}`, ns, { mode: 'monitor', checks: { app: policyYaml(`sec-${id}`, { namespace: ns }) } }),
  };
}

/** Every form a secret could leak in: plain, URL-encoded, base64, and inside a Basic header. */
function forms(secret: string): string[] {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [secret, encodeURIComponent(secret), b64(secret), b64(secret).replace(/=+$/, ''), b64(`${USER}:${secret}`).replace(/=+$/, '')];
}

/** Every file under `dir` (dot-folders such as .git included), as latin1 text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push({ path: join(entry.parentPath, entry.name), text: readFileSync(join(entry.parentPath, entry.name), 'latin1') });
  }
  return out;
}

test('no command prints, stores, commits, reports or exports a secret it was given', { timeout: 600_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('secrets');
  const id = ns.slice(-8);
  const gitSecret = `gitSecret${randomBytes(8).toString('hex')}`;
  const githubSecret = `githubSecret${randomBytes(8).toString('hex')}`;
  const wrongSecret = `wrongSecret${randomBytes(8).toString('hex')}`;
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-sec-git-')), username: USER, token: gitSecret });
  t.after(() => git.stop());
  await git.createRepo('specs', specFiles(ns, id));
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token: githubSecret });
  t.after(() => fake.stop());
  fake.pulls.push({ number: 7, title: 'Change specs', body: '', state: 'open', head: 'feature', base: 'main', draft: false, maintainer_can_modify: true, labels: [], created_at: '', updated_at: '', closed_at: null });

  const plain = git.repoUrl('specs');
  const withUserinfo = plain.replace('://', `://${USER}:${gitSecret}@`);
  const withQuery = `${plain}?access_token=${gitSecret}`;
  const wrong = plain.replace('://', `://${USER}:${wrongSecret}@`);
  const workDirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    workDirs.push(dir);
    return dir;
  };
  const baseEnv = { KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_LOG_LEVEL: 'debug' };
  const tokenEnv = { KSPEC_GIT_TOKEN: gitSecret, KSPEC_GIT_USERNAME: USER };
  const githubEnv = { GITHUB_TOKEN: githubSecret, KSPEC_GITHUB_REPOSITORY: 'acme/specs', KSPEC_GITHUB_API_URL: fake.baseUrl };
  const manifest = join(tempDir('kspec-sec-m-'), 'pod.yaml');
  writeFileSync(manifest, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n');

  const outputs: { what: string; text: string }[] = [];
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const result = await kspec(args, { cwd: tempDir('kspec-sec-cwd-'), env: { ...baseEnv, KSPEC_CACHE_DIR: tempDir('kspec-sec-cache-'), ...env } });
    outputs.push({ what: `kspec ${args.join(' ')}: stdout`, text: result.stdout }, { what: `kspec ${args.join(' ')}: stderr`, text: result.stderr });
    return result;
  };

  for (const [form, repo, env] of [['userinfo', withUserinfo, {}], ['query', withQuery, {}], ['KSPEC_GIT_TOKEN', plain, tokenEnv]] as const) {
    await run(['validate', repo], env);
    await run(['render', repo], env);
    const plan = await run(['plan', '--repo', repo], env);
    assert.ok(plan.code === 0 || plan.code === 1, `plan with the token in the ${form}: ${plan.stderr}`);
    const reconcile = await run(['reconcile', '--repo', repo, '--branch', 'main', '--write-back', 'commit'], env);
    assert.equal(reconcile.code, 0, `reconcile with the token in the ${form}: ${reconcile.stderr}`);
    await run(['scan', '--spec', repo, manifest], env);
    await run(['test', repo], env);
  }
  const comment = await run(['plan', '--repo', plain, '--comment-on-pr', '7'], { ...tokenEnv, ...githubEnv });
  assert.match(comment.stderr, /plan comment created on pull request #7/, comment.stderr);
  const denied = await run(['plan', '--repo', wrong]);
  assert.equal(denied.code, 2, 'a wrong password is an error');
  await run(['validate', wrong]);
  await run(['reconcile', '--repo', wrong, '--write-back', 'commit']);

  // kspec run, with the token in the URL's query: its logs and its metrics.
  const operator = await startKspecRun(t, ['--repo', withQuery, '--branch', 'main', '--schedule', '0 0 1 1 *'], { ...baseEnv, KSPEC_CACHE_DIR: tempDir('kspec-sec-run-') });
  await waitFor('the first pass of kspec run', 120_000, async () => (await operator.gauge('kspec_last_successful_pass_timestamp_seconds').catch(() => undefined)) || false);
  outputs.push({ what: 'kspec run: /metrics', text: await operator.metrics() });
  operator.child.kill('SIGTERM');
  await operator.exited;
  outputs.push({ what: 'kspec run: stderr', text: operator.stderr() });

  // What kspec left behind: files, commits, cluster objects, GitHub requests.
  const bare = git.repoPath('specs');
  assert.ok(execFileSync('git', ['-C', bare, 'branch', '--list', 'kspec-reports'], { encoding: 'utf8' }).includes('kspec-reports'), 'reports were committed');
  outputs.push({ what: 'git history (all branches, patches and messages)', text: execFileSync('git', ['-C', bare, 'log', '--all', '-p', '--format=%H%n%B'], { encoding: 'utf8', maxBuffer: 64 << 20 }) });
  for (const dir of workDirs) for (const f of filesUnder(dir)) outputs.push({ what: `file ${f.path}`, text: f.text });
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const custom = cluster.kc.makeApiClient(CustomObjectsApi);
  const events = await core.listNamespacedEvent({ namespace: ns });
  assert.ok(events.items.length > 0, 'passes recorded Events');
  outputs.push({ what: 'Events', text: JSON.stringify(events.items) });
  for (const plural of ['compliancereports', 'driftreports', 'clusterspecifications', 'clustertargets']) {
    outputs.push({ what: plural, text: JSON.stringify(await custom.listNamespacedCustomObject({ group: 'kspec.io', version: 'v1alpha1', namespace: ns, plural })) });
  }
  outputs.push({ what: 'ClusterPolicies', text: JSON.stringify(await custom.listClusterCustomObject({ group: 'kyverno.io', version: 'v1', plural: 'clusterpolicies', labelSelector: `kspec.io/spec=sec-${id}` })) });
  outputs.push({ what: 'GitHub requests', text: JSON.stringify(fake.requests.map(({ authorization: _sentToGitHub, ...r }) => r)) });
  outputs.push({ what: 'GitHub comments and pulls', text: JSON.stringify({ comments: fake.comments, pulls: fake.pulls }) });
  assert.equal(fake.comments.length, 1);

  const leaks: string[] = [];
  for (const secret of [gitSecret, githubSecret, wrongSecret]) {
    for (const form of forms(secret)) {
      for (const o of outputs) if (o.text.includes(form)) leaks.push(`${o.what} holds ${form === secret ? 'the secret' : `an encoding of it (${form})`}`);
    }
  }
  assert.deepEqual(leaks, []);
  // Not silence: the repository is named in what kspec says (the wrong password's fetch error), without its credentials.
  assert.ok(outputs.some((o) => o.what.endsWith('stderr') && o.text.includes(plain)), 'the repository URL is printed, clean');
});
