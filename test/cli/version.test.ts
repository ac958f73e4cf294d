// `kspec version`: what is installed and running, read from package.json and .git.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { kspec } from '../support/kspec-cli.ts';
import { gitCommit } from '../../src/version.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const installed = (name: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();

test('kspec version -o json: kspec version and commit, Node.js, and every library at its installed version', async () => {
  const { code, out } = await cli(['version', '-o', 'json']);
  assert.equal(code, 0);
  const info = JSON.parse(out);
  assert.equal(info.kspec.version, pkg.version);
  assert.equal(info.kspec.commit, git(ROOT, 'rev-parse', 'HEAD'));
  assert.equal(info.node, process.versions.node);
  assert.deepEqual(Object.keys(info.libraries), Object.keys(pkg.dependencies).sort());
  assert.equal(info.libraries['@kubernetes/client-node'], installed('@kubernetes/client-node'));
  assert.equal(info.libraries['isomorphic-git'], installed('isomorphic-git'));
});

test('kspec version and kspec --version print the same text, from the real executable', async () => {
  const version = await kspec(['version']);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, new RegExp(`^kspec ${pkg.version.replace(/\./g, '\\.')} \\(commit [0-9a-f]{40}\\)\\nNode\\.js ${process.versions.node} `));
  assert.match(version.stdout, new RegExp(`^  @kubernetes/client-node +${installed('@kubernetes/client-node')}$`, 'm'));
  assert.equal((await kspec(['--version'])).stdout, version.stdout);
  assert.equal((await kspec(['version', '-o', 'yaml'])).stdout.split('\n')[0], 'kspec:');
  const bad = await kspec(['version', 'extra']);
  assert.equal(bad.code, 2);
});

test('the commit is read from .git as git reads it: a branch, packed refs, a detached HEAD, a linked worktree; none outside a checkout', () => {
  const repo = mkdtempSync(join(tmpdir(), 'kspec-version-'));
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'f'), 'a');
  git(repo, 'add', 'f');
  git(repo, 'commit', '-qm', 'one');
  const first = git(repo, 'rev-parse', 'HEAD');
  assert.equal(gitCommit(repo), first);
  writeFileSync(join(repo, 'f'), 'b');
  git(repo, 'commit', '-qam', 'two');
  git(repo, 'pack-refs', '--all');
  assert.equal(gitCommit(repo), git(repo, 'rev-parse', 'HEAD'), 'a ref only in packed-refs');
  git(repo, 'checkout', '-q', first);
  assert.equal(gitCommit(repo), first, 'a detached HEAD');
  const worktree = join(mkdtempSync(join(tmpdir(), 'kspec-version-wt-')), 'wt');
  git(repo, 'worktree', 'add', '-q', '-b', 'other', worktree, 'main');
  assert.equal(gitCommit(worktree), git(worktree, 'rev-parse', 'HEAD'), 'a linked worktree');
  assert.equal(gitCommit(mkdtempSync(join(tmpdir(), 'kspec-version-none-'))), undefined);
});
