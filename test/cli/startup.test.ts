// Commands load only what they use: the offline commands never load the Kubernetes client, help
// loads no command at all, and a command's own help and shell completion load its flags only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SPEC = join(ROOT, 'examples', 'repo', 'specs', 'production-security.yaml');

function packagesLoadedBy(args: string[], exitCodes = [0, 1]): string[] {
  const record = join(mkdtempSync(join(tmpdir(), 'kspec-startup-')), 'packages');
  const result = spawnSync(process.execPath, ['--import', join(import.meta.dirname, 'fixtures', 'record-packages.mjs'), join(ROOT, 'bin', 'kspec.js'), ...args], {
    env: { ...process.env, RECORD_PACKAGES_TO: record },
    encoding: 'utf8',
  });
  assert.ok(exitCodes.includes(result.status!), `kspec ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
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

for (const command of ['plan', 'reconcile', 'run', 'target', 'uninstall']) {
  test(`kspec ${command} --help loads no Kubernetes client`, () => {
    assert.ok(!packagesLoadedBy([command, '--help']).includes('@kubernetes/client-node'));
  });
}

test('kspec completion loads no Kubernetes client, though it reads every command\'s flags', () => {
  assert.ok(!packagesLoadedBy(['completion', 'bash']).includes('@kubernetes/client-node'));
});

test('kspec plan, when it runs, does load the Kubernetes client (the checks above can see it)', () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'kspec-startup-')), 'no-kubeconfig');
  assert.ok(packagesLoadedBy(['plan', '--repo', join(ROOT, 'examples', 'repo'), '--kubeconfig', missing], [2]).includes('@kubernetes/client-node'));
});
