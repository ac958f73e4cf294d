// Commands load only what they use: the offline commands never load the Kubernetes client, help
// loads no command at all, and a command's own help and shell completion load its flags only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SPEC = join(ROOT, 'examples', 'repo', 'specs', 'production-security.yaml');

/** The npm packages the command loaded, and src/cluster/http-get.ts when it loaded kspec's own client. */
function loadedBy(args: string[], exitCodes = [0, 1]): string[] {
  const record = join(mkdtempSync(join(tmpdir(), 'kspec-startup-')), 'packages');
  const result = spawnSync(process.execPath, ['--import', join(import.meta.dirname, 'fixtures', 'record-packages.mjs'), join(ROOT, 'bin', 'kspec.js'), ...args], {
    env: { ...process.env, RECORD_PACKAGES_TO: record },
    encoding: 'utf8',
  });
  assert.ok(exitCodes.includes(result.status!), `kspec ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return readFileSync(record, 'utf8').split('\n').filter(Boolean);
}

function packagesLoadedBy(args: string[], exitCodes = [0, 1]): string[] {
  return loadedBy(args, exitCodes).filter((p) => !p.startsWith('src/'));
}

/** kspec's own Kubernetes client, or @kubernetes/client-node (which kspec loads only for auth providers and proxies). */
function loadsKubernetesClient(loaded: string[]): boolean {
  return loaded.includes('src/cluster/http-get.ts') || loaded.includes('@kubernetes/client-node');
}

const offline: [string, string[]][] = [
  ['validate', ['validate', join(ROOT, 'examples', 'repo')]],
  ['render', ['render', join(ROOT, 'examples', 'repo')]],
  ['scan', ['scan', '--spec', SPEC, join(ROOT, 'test', 'cli', 'fixtures')]],
  ['test', ['test', join(ROOT, 'test', 'cli', 'fixtures')]],
];

for (const [name, args] of offline) {
  test(`kspec ${name} never loads the Kubernetes client`, () => {
    assert.ok(!loadsKubernetesClient(loadedBy(args)));
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
    assert.ok(!loadsKubernetesClient(loadedBy([command, '--help'])));
  });
}

test('kspec completion loads no Kubernetes client, though it reads every command\'s flags', () => {
  assert.ok(!loadsKubernetesClient(loadedBy(['completion', 'bash'])));
});

test('kspec plan, when it runs, loads kspec\'s own Kubernetes client (the checks above can see it), and not @kubernetes/client-node', () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'kspec-startup-')), 'no-kubeconfig');
  const loaded = loadedBy(['plan', '--repo', join(ROOT, 'examples', 'repo'), '--kubeconfig', missing], [2]);
  assert.ok(loaded.includes('src/cluster/http-get.ts'));
  assert.ok(!loaded.includes('@kubernetes/client-node'));
});

test('Git and GitHub libraries load only when used: a plain folder is read without isomorphic-git, and nothing loads octokit without GitHub write-back', () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'kspec-startup-')), 'no-kubeconfig');
  const gitLibraries = (loaded: string[]) => loaded.filter((p) => p === 'isomorphic-git' || p === 'octokit');
  for (const command of ['reconcile', 'run', 'plan']) {
    assert.deepEqual(gitLibraries(packagesLoadedBy([command, '--repo', join(ROOT, 'examples', 'repo'), '--kubeconfig', missing], [2])), [], command);
  }
  assert.deepEqual(gitLibraries(packagesLoadedBy(['validate', join(ROOT, 'examples', 'repo')])), []);
  // A commit is read through Git: the recorder sees a library loaded when it is used.
  assert.deepEqual(gitLibraries(packagesLoadedBy(['validate', '--ref', 'HEAD', join(ROOT, 'examples', 'repo')])), ['isomorphic-git']);
});

test('a whole reconcile pass over a plain folder, with no spec writing back, loads neither isomorphic-git nor octokit, nor prom-client (one pass serves no metrics)', () => {
  // A management cluster that refuses connections: the pass runs to its end (every spec Failed,
  // exit 1), as far as the write-back stage it must then skip.
  const folder = mkdtempSync(join(tmpdir(), 'kspec-startup-'));
  const kubeconfig = join(folder, 'kubeconfig');
  writeFileSync(kubeconfig, 'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n');
  const loaded = packagesLoadedBy(['reconcile', '--repo', join(ROOT, 'examples', 'repo'), '--kubeconfig', kubeconfig, '--cache-dir', join(folder, 'cache')], [1]);
  assert.deepEqual(loaded.filter((p) => p === 'isomorphic-git' || p === 'octokit' || p === 'prom-client'), []);
});
