import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startGitServer, HUMAN } from '../support/git-server.ts';
import { GitRepo } from '../../src/writeback/git-repo.ts';
import { commitReports } from '../../src/writeback/commit-reports.ts';
import { writeBack } from '../../src/writeback/index.ts';
import { compliance, drift, driftEvent, tempDir, allFiles, memoryLogger, KSPEC } from './fixtures.ts';

const SRC = '0123456789abcdef0123456789abcdef01234567';

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const token = `tok-${Math.random().toString(36).slice(2)}-secret`;
  const server = await startGitServer({ root: path.join(dir, 'srv'), username: 'x-access-token', token });
  t.after(() => server.stop());
  await server.createRepo('specs', { 'specs/baseline.yaml': 'kind: ClusterSpecification\n' });
  const mem = memoryLogger();
  const repo = new GitRepo({ url: server.repoUrl('specs'), cacheDir: path.join(dir, 'cache'), auth: token, author: KSPEC, log: mem.logger, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
  return { dir, token, server, repo, mem };
}

function pass(ts: string, opts: { failing?: string[] } = {}) {
  return [
    { cluster: 'prod', spec: 'baseline', compliance: compliance('prod', 'baseline', { timestamp: ts, sourceCommit: SRC, ...opts }), drift: drift('prod', 'baseline', [driftEvent('modified', 'pods', 'no-privileged', { detectedAt: ts })], { timestamp: ts, sourceCommit: SRC }) },
    { cluster: 'staging', spec: 'baseline', compliance: compliance('staging', 'baseline', { timestamp: ts, sourceCommit: SRC }), drift: drift('staging', 'baseline', [], { timestamp: ts, sourceCommit: SRC }) },
  ];
}

test('reports are committed once to kspec-reports and not again when only timestamps change', async (t) => {
  const { server, repo } = await setup(t);
  const mainBefore = await server.headSha('specs', 'main');

  const first = await commitReports(repo, pass('2026-01-01T00:00:00Z'));
  assert.equal(first.committed, true);
  assert.equal(first.branch, 'kspec-reports');
  assert.deepEqual(first.changed, [{ cluster: 'prod', spec: 'baseline' }, { cluster: 'staging', spec: 'baseline' }]);
  assert.equal(await server.headSha('specs', 'kspec-reports'), first.sha);
  assert.equal(await server.headSha('specs', 'main'), mainBefore, 'the watched branch is not touched');
  const log1 = await server.log('specs', 'kspec-reports');
  assert.equal(log1.length, 1);
  assert.deepEqual(log1[0]!.author, KSPEC);
  assert.match(log1[0]!.message, /prod, staging/);
  assert.match(log1[0]!.message, new RegExp(`Source-Commit: ${SRC}`));
  const readme = await server.readFile('specs', 'kspec-reports', 'reports/prod/baseline/README.md');
  assert.match(readme!, /Compliance score: 66\.7%/);
  assert.match((await server.readFile('specs', 'kspec-reports', 'reports/staging/baseline/drift.yaml'))!, /driftDetected: false/);

  // Same results, new timestamps: no commit.
  const second = await commitReports(repo, pass('2026-01-01T00:05:00Z'));
  assert.equal(second.committed, false);
  assert.equal(second.sha, first.sha);
  assert.equal((await server.log('specs', 'kspec-reports')).length, 1);

  // A fresh cache (restart) sees the same: still no commit.
  const restarted = new GitRepo({ url: server.repoUrl('specs'), cacheDir: `${repo.gitdir}-2`, auth: server.token, author: KSPEC });
  assert.equal((await commitReports(restarted, pass('2026-01-01T00:10:00Z'))).committed, false);

  // A real change in one pair: one commit touching only that pair.
  const third = await commitReports(repo, pass('2026-01-01T00:15:00Z', { failing: ['images', 'pods'] }));
  assert.equal(third.committed, true);
  assert.deepEqual(third.changed, [{ cluster: 'prod', spec: 'baseline' }]);
  const log3 = await server.log('specs', 'kspec-reports');
  assert.equal(log3.length, 2);
  assert.deepEqual(log3[0]!.parents, [first.sha]);
  // staging's files still carry the first pass's timestamp: untouched.
  assert.match((await server.readFile('specs', 'kspec-reports', 'reports/staging/baseline/compliance.yaml'))!, /2026-01-01T00:00:00Z/);
});

test('a human commit pushed between kspec fetch and push survives; kspec rebuilds on top', async (t) => {
  const { server, repo, mem } = await setup(t);
  await commitReports(repo, pass('2026-01-01T00:00:00Z'));
  let injected = 0;
  let humanSha = '';
  server.beforeReceivePack = async () => {
    if (injected++ > 0) return;
    humanSha = await server.commit('specs', { 'reports/NOTES.md': 'a human note\n', 'reports/prod/baseline/README.md': 'human edit\n' }, 'Human note on the reports branch', { branch: 'kspec-reports', author: HUMAN });
  };
  const r = await commitReports(repo, pass('2026-01-01T01:00:00Z', { failing: [] }));
  assert.equal(r.committed, true);
  assert.ok(r.attempts >= 2, `retried after the rejection (attempts ${r.attempts})`);
  const log = await server.log('specs', 'kspec-reports');
  assert.equal(log[0]!.sha, r.sha);
  assert.deepEqual(log[0]!.parents, [humanSha], 'kspec committed on top of the human commit (fast-forward, no force)');
  assert.ok(log.some((c) => c.sha === humanSha));
  assert.equal(await server.readFile('specs', 'kspec-reports', 'reports/NOTES.md'), 'a human note\n');
  assert.ok(mem.lines.some((l) => /push rejected/.test(l)));
  // Every push kspec made was a fast-forward: the history is linear and contains all commits.
  assert.equal(log.length, 3);
});

test('writeBack: per-spec override, reports branch never the watched branch, no token anywhere', async (t) => {
  const { dir, server, token } = await setup(t);
  const mem = memoryLogger();
  const cacheDir = path.join(dir, 'cache-wb');
  // The token given inside the URL is moved to onAuth and never stored.
  const urlWithToken = server.repoUrl('specs').replace('http://', `http://x-access-token:${token}@`);
  const reports = pass('2026-01-01T00:00:00Z').map((r, i) => ({ ...r, writeBack: i === 1 ? ('none' as const) : undefined }));
  const result = await writeBack({ mode: 'commit', reports, repo: { url: urlWithToken, cacheDir, author: KSPEC, log: mem.logger }, options: { baseBranch: 'main', log: mem.logger } });
  assert.deepEqual(result.errors, []);
  assert.equal(result.commit?.committed, true);
  assert.deepEqual(result.commit?.changed, [{ cluster: 'prod', spec: 'baseline' }]);
  assert.equal(await server.readFile('specs', 'kspec-reports', 'reports/staging/baseline/README.md'), undefined);

  await assert.rejects(writeBack({ mode: 'commit', reports, repo: { url: server.repoUrl('specs'), cacheDir, author: KSPEC }, options: { baseBranch: 'main', reportsBranch: 'main' } }), /must not be the watched branch/);

  // A bad token: the error comes back redacted.
  const bad = await writeBack({ mode: 'commit', reports, repo: { url: server.repoUrl('specs'), cacheDir: path.join(dir, 'cache-bad'), auth: `${token}-wrong`, author: KSPEC, log: mem.logger }, options: { log: mem.logger } });
  assert.equal(bad.errors.length, 1);
  assert.ok(!bad.errors[0]!.error.includes(token));
  assert.match(bad.errors[0]!.error, /401|auth/i);

  // Scan: logs, commit messages, the cache clone (config and all files), errors.
  const haystacks = [
    ...mem.lines,
    ...(await server.log('specs', 'kspec-reports')).map((c) => c.message),
    await readFile(path.join(cacheDir, 'config'), 'utf8'),
    ...(await allFiles(cacheDir)).map((f) => f.text),
    ...(await allFiles(path.join(dir, 'cache-bad'))).map((f) => f.text),
    JSON.stringify(result),
    JSON.stringify(bad),
  ];
  for (const h of haystacks) {
    assert.ok(!h.includes(token), 'token found in output');
    assert.ok(!h.includes(Buffer.from(`x-access-token:${token}`).toString('base64')), 'basic credentials found in output');
  }
  assert.match(await readFile(path.join(cacheDir, 'config'), 'utf8'), new RegExp(`url = ${server.repoUrl('specs').replace(/[.]/g, '\\.')}`));
});
