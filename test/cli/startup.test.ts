// Commands load only what they use: the offline commands never load the Kubernetes client, and
// help loads no command at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SPEC = join(ROOT, 'examples', 'repo', 'specs', 'production-security.yaml');

function packagesLoadedBy(args: string[]): string[] {
  const record = join(mkdtempSync(join(tmpdir(), 'kspec-startup-')), 'packages');
  const result = spawnSync(process.execPath, ['--import', join(import.meta.dirname, 'fixtures', 'record-packages.mjs'), join(ROOT, 'bin', 'kspec.js'), ...args], {
    env: { ...process.env, RECORD_PACKAGES_TO: record },
    encoding: 'utf8',
  });
  assert.ok(result.status === 0 || result.status === 1, `kspec ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return readFileSync(record, 'utf8').split('\n').filter(Boolean);
}

const offline: [string, string[]][] = [
  ['validate', ['validate', join(ROOT, 'examples', 'repo')]],
  ['render', ['render', join(ROOT, 'examples', 'repo')]],
  ['scan', ['scan', '--spec', SPEC, join(ROOT, 'test', 'cli', 'fixtures')]],
  ['test', ['test', join(ROOT, 'test', 'cli', 'fixtures')]],
];

for (const [name, args] of offline) {
  test(`kspec ${name} never loads the Kubernetes client`, () => {
    assert.ok(!packagesLoadedBy(args).includes('@kubernetes/client-node'));
  });
}

test('kspec --help loads no npm package at all', () => {
  assert.deepEqual(packagesLoadedBy(['--help']), []);
});

test('kspec version and --version load no npm package at all', () => {
  assert.deepEqual(packagesLoadedBy(['version']), []);
  assert.deepEqual(packagesLoadedBy(['--version', '-o', 'json']), []);
});

test('kspec plan does load the Kubernetes client (the check above can see it)', () => {
  assert.ok(packagesLoadedBy(['plan', '--help']).includes('@kubernetes/client-node'));
});
