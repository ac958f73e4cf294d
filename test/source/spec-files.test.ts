import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSnapshot } from '../../src/source/git-source.ts';
import { DEFAULT_LIMITS } from '../../src/spec/limits.ts';
import { formatSpecError } from '../../src/spec/errors.ts';

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-files-'));
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'specs/good.yaml'), 'a: 1\n');
  return dir;
}

const read = (dir: string, limits = DEFAULT_LIMITS) => fetchSnapshot({ repo: dir, cacheDir: '', limits });

test('links in a plain folder never leave the root; each bad link is an error for its path', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'kspec-outside-'));
  writeFileSync(join(outside, 'secret.yaml'), 'stolen: true\n');
  mkdirSync(join(outside, 'team'));
  writeFileSync(join(outside, 'team/spec.yaml'), 'foreign: true\n');
  const dir = folder();
  symlinkSync(join(outside, 'secret.yaml'), join(dir, 'specs/out.yaml'));
  symlinkSync(join(outside, 'team'), join(dir, 'specs/team.yaml'));
  symlinkSync(join(dir, 'nowhere.yaml'), join(dir, 'specs/dangling.yaml'));
  symlinkSync(join(dir, 'specs/loop-b.yaml'), join(dir, 'specs/loop-a.yaml'));
  symlinkSync(join(dir, 'specs/loop-a.yaml'), join(dir, 'specs/loop-b.yaml'));
  symlinkSync(join(dir, 'specs/good.yaml'), join(dir, 'specs/inside.yaml'));
  symlinkSync(outside, join(dir, 'specs/outside-folder'));
  const snapshot = await read(dir);
  assert.deepEqual([...snapshot.files.keys()], ['specs/good.yaml', 'specs/inside.yaml'], 'only files inside the root are read');
  assert.equal(snapshot.files.get('specs/inside.yaml'), 'a: 1\n');
  assert.deepEqual(snapshot.errors.map(formatSpecError), [
    'specs/dangling.yaml:1: is a dangling symbolic link (its target does not exist)',
    'specs/loop-a.yaml:1: is a symbolic link loop',
    'specs/loop-b.yaml:1: is a symbolic link loop',
    'specs/out.yaml:1: is a symbolic link to a path outside the repository; kspec never follows links out of the root',
    'specs/team.yaml:1: is a symbolic link to a path outside the repository; kspec never follows links out of the root',
  ]);
});

test('a --path that leads out of the repository through a link is refused', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'kspec-outside-'));
  const dir = folder();
  symlinkSync(outside, join(dir, 'elsewhere'));
  await assert.rejects(fetchSnapshot({ repo: dir, path: 'elsewhere', cacheDir: '' }), /leads outside .*; kspec reads nothing outside the repository/);
});

test('a FIFO or device is an error for its path, never opened', async () => {
  const dir = folder();
  execFileSync('mkfifo', [join(dir, 'specs/pipe.yaml')]);
  symlinkSync('/dev/zero', join(dir, 'specs/zero.yaml'));
  const snapshot = await read(dir);
  assert.deepEqual([...snapshot.files.keys()], ['specs/good.yaml']);
  assert.deepEqual(snapshot.errors.map((e) => `${e.file}: ${e.message}`), [
    'specs/pipe.yaml: is not a regular file (a FIFO, socket or device); kspec reads only regular files',
    'specs/zero.yaml: is a symbolic link to a path outside the repository; kspec never follows links out of the root',
  ]);
});

test('size limits: a file past --max-file-bytes is its own error; past --max-repo-bytes the read fails', async () => {
  const dir = folder();
  writeFileSync(join(dir, 'specs/huge.yaml'), `x: "${'a'.repeat(5000)}"\n`);
  const snapshot = await read(dir, { ...DEFAULT_LIMITS, maxFileBytes: 1024 });
  assert.deepEqual([...snapshot.files.keys()], ['specs/good.yaml']);
  assert.deepEqual(snapshot.errors.map(formatSpecError), ['specs/huge.yaml:1: file is 5006 bytes, more than 1 KiB (limit --max-file-bytes)']);
  await assert.rejects(read(dir, { ...DEFAULT_LIMITS, maxRepoBytes: 2048 }), /past 2 KiB in total \(limit --max-repo-bytes\)/);
});

test('a file that is not UTF-8 is an error with its line; the others are read', async () => {
  const dir = folder();
  writeFileSync(join(dir, 'specs/latin1.yaml'), Buffer.from('a: 1\nname: caf\xe9\n', 'latin1'));
  const snapshot = await read(dir);
  assert.deepEqual([...snapshot.files.keys()], ['specs/good.yaml']);
  assert.deepEqual(snapshot.errors.map(formatSpecError), ['specs/latin1.yaml:2: file is not valid UTF-8']);
});

test('working tree or commit: the working tree on request, and a ref of the repository above a subfolder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-wt-'));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'specs/a.yaml'), 'a: committed\n');
  git('add', '-A');
  git('commit', '-qm', 'first');
  writeFileSync(join(dir, 'specs/a.yaml'), 'a: edited\n');
  for (const repo of [dir, join(dir, 'specs')]) {
    const onDisk = await fetchSnapshot({ repo, cacheDir: '', workingTree: true });
    assert.equal(onDisk.commit, 'working-tree');
    assert.equal([...onDisk.files.values()][0], 'a: edited\n', `${repo}: the working tree`);
    const atRef = await fetchSnapshot({ repo, cacheDir: '', workingTree: true, ref: 'main' });
    assert.equal(atRef.commit, git('rev-parse', 'HEAD'));
    assert.deepEqual([...atRef.files], [['specs/a.yaml', 'a: committed\n']], `${repo}: the commit`);
  }
});

test('a link committed to Git is an error for its path, never followed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-gitlink-'));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'good.yaml'), 'a: 1\n');
  symlinkSync('/etc/passwd', join(dir, 'passwd.yaml'));
  git('add', '-A');
  git('commit', '-qm', 'first');
  const snapshot = await fetchSnapshot({ repo: dir, cacheDir: '' });
  assert.deepEqual([...snapshot.files.keys()], ['good.yaml']);
  assert.deepEqual(snapshot.errors.map(formatSpecError), ['passwd.yaml:1: is a symbolic link; kspec does not follow links in a commit']);
});
