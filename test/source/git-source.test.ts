import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSnapshot } from '../../src/source/git-source.ts';
import { startGitServer } from '../support/git-server.ts';

function localRepo(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-local-'));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'specs/team'), { recursive: true });
  writeFileSync(join(dir, 'specs/a.yaml'), 'a: 1\n');
  writeFileSync(join(dir, 'specs/team/b.yml'), 'b: 2\n');
  writeFileSync(join(dir, 'specs/notes.md'), '# not yaml\n');
  writeFileSync(join(dir, 'other.yaml'), 'o: 1\n');
  git('add', '-A');
  git('commit', '-qm', 'first');
  return { dir, git };
}

test('a local repository is read at its commit, under the sub-path, YAML only', async () => {
  const { dir, git } = localRepo();
  writeFileSync(join(dir, 'specs/a.yaml'), 'a: uncommitted\n');
  const snapshot = await fetchSnapshot({ repo: dir, path: 'specs', cacheDir: '' });
  assert.equal(snapshot.commit, git('rev-parse', 'HEAD'));
  assert.deepEqual([...snapshot.files.keys()], ['specs/a.yaml', 'specs/team/b.yml']);
  assert.equal(snapshot.files.get('specs/a.yaml'), 'a: 1\n', 'committed content, not the working tree');
});

test('a branch or tag is honoured; a missing path is an error', async () => {
  const { dir, git } = localRepo();
  const first = git('rev-parse', 'HEAD');
  git('tag', '-a', 'v1', '-m', 'v1');
  writeFileSync(join(dir, 'specs/a.yaml'), 'a: 2\n');
  git('commit', '-qam', 'second');
  const tagged = await fetchSnapshot({ repo: `file://${dir}`, ref: 'v1', path: 'specs', cacheDir: '' });
  assert.equal(tagged.commit, first);
  assert.equal(tagged.files.get('specs/a.yaml'), 'a: 1\n');
  await assert.rejects(fetchSnapshot({ repo: dir, path: 'nope', cacheDir: '' }), /path nope does not exist/);
});

test('over HTTP: cloned once with the token, fetched incrementally, token never written to disk', async (t) => {
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-srv-')) });
  t.after(() => git.stop());
  await git.createRepo('specs', { 'specs/a.yaml': 'a: 1\n' });
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-cache-'));
  const options = { repo: git.repoUrl('specs'), ref: 'main', path: 'specs', cacheDir, token: git.token, username: git.username };
  const first = await fetchSnapshot(options);
  assert.equal(first.commit, await git.headSha('specs'));
  const sha = await git.commit('specs', { 'specs/a.yaml': 'a: 2\n' }, 'change');
  const second = await fetchSnapshot(options);
  assert.equal(second.commit, sha);
  assert.equal(second.files.get('specs/a.yaml'), 'a: 2\n');
  const [clone] = readdirSync(join(cacheDir, 'repos'));
  const config = readFileSync(join(cacheDir, 'repos', clone, '.git', 'config'), 'utf8');
  assert.ok(!config.includes(git.token), '.git/config holds no token');
  await assert.rejects(fetchSnapshot({ ...options, token: 'bad-token' }), (err: Error) => !err.message.includes('bad-token') && /cannot fetch/.test(err.message));
});

test('a linked worktree (git worktree add) is read at its own branch; another ref through the shared repository', async () => {
  const { git } = localRepo();
  const main = git('rev-parse', 'HEAD');
  const worktree = join(mkdtempSync(join(tmpdir(), 'kspec-worktree-')), 'feature');
  git('worktree', 'add', '-q', '-b', 'feature', worktree);
  writeFileSync(join(worktree, 'specs/a.yaml'), 'a: feature\n');
  execFileSync('git', ['-C', worktree, '-c', 'user.name=t', '-c', 'user.email=t@example.test', 'commit', '-qam', 'feature']);
  const feature = execFileSync('git', ['-C', worktree, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const own = await fetchSnapshot({ repo: worktree, path: 'specs', cacheDir: '' });
  assert.deepEqual({ commit: own.commit, ref: own.ref, a: own.files.get('specs/a.yaml') }, { commit: feature, ref: 'feature', a: 'a: feature\n' });
  const other = await fetchSnapshot({ repo: worktree, ref: 'main', path: 'specs', cacheDir: '' });
  assert.deepEqual({ commit: other.commit, a: other.files.get('specs/a.yaml') }, { commit: main, a: 'a: 1\n' });
  await assert.rejects(fetchSnapshot({ repo: worktree, ref: 'nope', cacheDir: '' }), { message: `branch or tag "nope" not found in ${worktree}; branches there: feature, main` });
});
