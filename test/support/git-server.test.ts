import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { HUMAN, startGitServer, type GitServer } from './git-server.ts';

function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

/** Runs the git CLI without any prompt or user configuration. */
function gitCli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: tmpdir(),
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 'kspec bot',
        GIT_AUTHOR_EMAIL: 'bot@example.test',
        GIT_COMMITTER_NAME: 'kspec bot',
        GIT_COMMITTER_EMAIL: 'bot@example.test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('git server', () => {
  let tmp: string;
  let server: GitServer;

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'kspec-git-'));
    server = await startGitServer({ root: path.join(tmp, 'repos') });
  });
  after(async () => {
    await server?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('clones with the token over smart HTTP (git CLI) and asks unauthenticated clients for credentials', async () => {
    await server.createRepo('cli', { 'specs/a.yaml': 'a: 1\n', 'README.md': '# specs\n' });
    const before = server.requests.length;
    const dir = path.join(tmp, 'cli-clone');
    const res = await gitCli(['clone', '--quiet', withCredentials(server.repoUrl('cli'), server.username, server.token), dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await readFile(path.join(dir, 'specs/a.yaml'), 'utf8'), 'a: 1\n');
    const reqs = server.requests.slice(before);
    assert.equal(reqs[0].authorized, false, 'the first request carries no credentials');
    assert.equal(reqs[0].status, 401);
    assert.ok(reqs.some((r) => r.authorized && r.service === 'git-upload-pack' && r.method === 'POST' && r.status === 200));
  });

  it('rejects a wrong token and a missing one', async () => {
    await server.createRepo('locked', { 'x.txt': 'x\n' });
    const wrong = await gitCli([
      'clone',
      '--quiet',
      withCredentials(server.repoUrl('locked'), server.username, 'not-the-token'),
      path.join(tmp, 'wrong'),
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /Authentication failed|401/);
    assert.ok(!wrong.stderr.includes(server.token));
    const none = await gitCli(['clone', '--quiet', server.repoUrl('locked'), path.join(tmp, 'none')]);
    assert.notEqual(none.code, 0);
    await assert.rejects(
      git.clone({
        fs,
        http,
        dir: path.join(tmp, 'iso-wrong'),
        url: server.repoUrl('locked'),
        onAuth: () => ({ username: server.username, password: 'wrong' }),
        onAuthFailure: () => ({ cancel: true }),
      }),
    );
    const res = await fetch(`${server.repoUrl('locked')}/info/refs?service=git-upload-pack`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
  });

  it('serves isomorphic-git: clone, commit, push; the server sees the new commit', async () => {
    await server.createRepo('iso', { 'specs/a.yaml': 'a: 1\n' }, 'Add specs');
    const dir = path.join(tmp, 'iso-clone');
    const onAuth = () => ({ username: server.username, password: server.token });
    await git.clone({ fs, http, dir, url: server.repoUrl('iso'), ref: 'main', singleBranch: true, onAuth });
    assert.equal(await git.resolveRef({ fs, dir, ref: 'HEAD' }), await server.headSha('iso'));
    await writeFile(path.join(dir, 'specs/b.yaml'), 'b: 2\n');
    await git.add({ fs, dir, filepath: 'specs/b.yaml' });
    const sha = await git.commit({ fs, dir, message: 'Add b', author: { name: 'kspec bot', email: 'bot@example.test' } });
    const pushed = await git.push({ fs, http, dir, remote: 'origin', ref: 'main', onAuth });
    assert.equal(pushed.ok, true);
    assert.equal(await server.headSha('iso'), sha);
    assert.equal(await server.readFile('iso', 'main', 'specs/b.yaml'), 'b: 2\n');
    const log = await server.log('iso');
    assert.deepEqual(
      log.map((c) => c.subject),
      ['Add b', 'Add specs'],
    );
    assert.equal(log[1].author.email, HUMAN.email);
  });

  it('commits from the test side: writes, deletes, branches, log', async () => {
    await server.createRepo('side', { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const first = await server.headSha('side');
    const sha = await server.commit('side', { 'a.txt': 'A\n', 'b.txt': null, 'dir/c.txt': 'c\n' }, 'Edit by hand\n\nBody.');
    assert.notEqual(sha, first);
    assert.equal(await server.readFile('side', 'main', 'a.txt'), 'A\n');
    assert.equal(await server.readFile('side', 'main', 'b.txt'), undefined);
    assert.equal(await server.readFile('side', 'main', 'dir/c.txt'), 'c\n');
    const [tip] = await server.log('side');
    assert.deepEqual(tip.parents, [first]);
    assert.equal(tip.message, 'Edit by hand\n\nBody.');
    await assert.rejects(server.commit('side', { x: 'y' }, 'no branch', { branch: 'feature' }), /does not exist/);
    const dir = path.join(tmp, 'side-clone');
    const url = withCredentials(server.repoUrl('side'), server.username, server.token);
    assert.equal((await gitCli(['clone', '--quiet', url, dir])).code, 0);
    assert.equal((await gitCli(['checkout', '--quiet', '-b', 'kspec/update'], dir)).code, 0);
    await writeFile(path.join(dir, 'd.txt'), 'd\n');
    await gitCli(['add', 'd.txt'], dir);
    await gitCli(['commit', '--quiet', '-m', 'On a branch'], dir);
    const push = await gitCli(['push', '--quiet', 'origin', 'kspec/update'], dir);
    assert.equal(push.code, 0, push.stderr);
    assert.deepEqual(Object.keys(await server.branches('side')).sort(), ['kspec/update', 'main']);
    assert.equal(await server.readFile('side', 'kspec/update', 'd.txt'), 'd\n');
  });

  it('lands a human commit between a client fetch and its push (beforeReceivePack)', async () => {
    await server.createRepo('race', { 'spec.yaml': 'v: 1\n' });
    const dir = path.join(tmp, 'race-clone');
    const url = withCredentials(server.repoUrl('race'), server.username, server.token);
    assert.equal((await gitCli(['clone', '--quiet', url, dir])).code, 0);
    await writeFile(path.join(dir, 'report.md'), '# report\n');
    await gitCli(['add', 'report.md'], dir);
    await gitCli(['commit', '--quiet', '-m', 'kspec: report'], dir);
    let human = '';
    server.beforeReceivePack = async (repo) => {
      assert.equal(repo, 'race');
      server.beforeReceivePack = undefined;
      human = await server.commit('race', { 'spec.yaml': 'v: 2\n' }, 'Human edit');
    };
    const push = await gitCli(['push', 'origin', 'main'], dir);
    assert.notEqual(push.code, 0, 'the stale push is refused');
    assert.equal(await server.headSha('race'), human, 'the human commit is kept');
    assert.equal(await server.readFile('race', 'main', 'spec.yaml'), 'v: 2\n');
  });
});
