// The CLI as a user installs it: `npm pack`, then `npm install -g` of that tarball into a fresh
// prefix, run with the machine's own Node first on PATH (Node 20 here, older than kspec needs).
// The package brings Node 24 as its `node` dependency and bin/kspec.js runs kspec with it.
//
// npm runs with --prefer-offline: what `npm ci` put in the npm cache is used; what is not there
// (an install resolves version ranges, so it needs registry metadata that `npm ci` does not
// fetch) comes from the registry once and is cached from then on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { testCluster } from '../support/cluster.ts';
import { inClusterTarget, policyYaml, specYaml } from '../support/operator.ts';
import { gitCommit } from '../../src/version.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** PATH without any node_modules/.bin, so `node` and `npm` are the machine's, as for a user. */
const SYSTEM_PATH = (process.env.PATH ?? '/usr/bin:/bin')
  .split(':')
  .filter((d) => d && !d.split(path.sep).includes('node_modules'))
  .join(':');
const ENV = { PATH: SYSTEM_PATH, HOME: process.env.HOME ?? tmpdir(), LANG: 'C.UTF-8' };

interface PackedFile {
  path: string;
  size: number;
}

describe('npm package', { timeout: 15 * 60_000 }, () => {
  let work: string;
  let kspecBin: string;
  let packed: { filename: string; size: number; files: PackedFile[] };

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'kspec-npm-'));
    // `npm pack` runs the prepack script (compile src/ to dist/) and postpack (remove dist/).
    const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: ENV, maxBuffer: 16 * 1024 * 1024 });
    packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0];
    const prefix = path.join(work, 'prefix');
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(work, packed.filename)], {
      cwd: work,
      env: ENV,
      maxBuffer: 16 * 1024 * 1024,
    });
    kspecBin = path.join(prefix, 'bin', 'kspec');
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const kspec = (args: string[], cwd = work) => spawnSync(kspecBin, args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });

  test('the tarball holds the launcher, the compiled code and the Kyverno schemas, and nothing of the checkout', () => {
    const files = packed.files.map((f) => f.path);
    assert.ok(files.includes('bin/kspec.js'));
    assert.ok(files.includes('dist/cli/main.js'));
    assert.ok(files.includes('deploy/kyverno-crds/kyverno.io_clusterpolicies.yaml'));
    assert.ok(files.includes('package.json') && files.includes('README.md'));
    const allowed = /^(bin\/kspec\.js|dist\/.+\.js|dist\/commit|deploy\/kyverno-crds\/[^/]+\.yaml|package\.json|README\.md)$/;
    assert.deepEqual(files.filter((f) => !allowed.test(f)), [], 'no tests, benchmarks, scripts, sources or local state');
    assert.ok(packed.size < 1024 * 1024, `packed size ${packed.size} bytes`);
    // postpack removed the compiled code again: the checkout runs src/.
    assert.equal(existsSync(path.join(ROOT, 'dist')), false);
  });

  test('kspec --help runs with the machine Node first on PATH', (t) => {
    const systemNode = spawnSync('node', ['--version'], { env: ENV, encoding: 'utf8' }).stdout.trim();
    t.diagnostic(`node on PATH: ${systemNode}`);
    const help = kspec(['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^\s*kspec COMMAND \[flags\]$/m);
    for (const command of ['validate', 'render', 'plan', 'reconcile', 'run', 'test', 'scan', 'uninstall']) assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  test('kspec version: the package version, run by the Node 24 the package brought', () => {
    const version = kspec(['version', '-o', 'json']);
    assert.equal(version.status, 0, version.stderr);
    const info = JSON.parse(version.stdout) as { kspec: { version: string; commit: string }; node: string };
    assert.equal(info.kspec.version, JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    assert.equal(info.node.split('.')[0], '24');
    // No Git checkout where it is installed: the commit is the one `npm pack` recorded.
    assert.equal(info.kspec.commit, gitCommit(ROOT) ?? 'unknown');
  });

  test('validate and render the examples from outside the checkout', () => {
    const validate = kspec(['validate', path.join(ROOT, 'examples/repo')]);
    assert.equal(validate.status, 0, validate.stderr);
    assert.match(validate.stdout, /3 specifications, 1 targets, 12 checks, 0 errors/);
    const render = kspec(['render', path.join(ROOT, 'examples/repo')]);
    assert.equal(render.status, 0, render.stderr);
    const policies = parseAllDocuments(render.stdout).map((d) => d.toJS() as { kind: string; metadata: { labels: Record<string, string> } });
    assert.equal(policies.length, 12);
    assert.ok(policies.every((p) => p.metadata.labels['app.kubernetes.io/managed-by'] === 'kspec'));
    assert.deepEqual([...new Set(policies.map((p) => p.kind))].sort(), ['ClusterPolicy', 'ValidatingPolicy']);
  });

  test('a kyvernoPolicy that breaks Kyverno\'s schema is refused (the schemas ship with the package)', () => {
    const dir = mkdtempSync(path.join(work, 'bad-'));
    const misspelt = policyYaml('bad').replace(/^spec:$/m, 'spec:\n  validationFailureAktion: Audit');
    writeFileSync(path.join(dir, 'spec.yaml'), specYaml('bad', 'ns', { checks: { bad: misspelt } }));
    const validate = kspec(['validate', dir, '--targets-from-cluster']);
    assert.equal(validate.status, 1, validate.stdout);
    assert.match(validate.stderr, /validationFailureAktion/);
  });

  test('plan against a real API server: the Kubernetes client loads and the missing policy is reported', async (t) => {
    const cluster = await testCluster(t);
    if (!cluster) return;
    const ns = await cluster.namespace('npm-pkg');
    const repo = path.join(work, 'repo');
    mkdirSync(repo);
    writeFileSync(path.join(repo, 'target.yaml'), inClusterTarget(ns));
    writeFileSync(path.join(repo, 'spec.yaml'), specYaml(`npm-${ns}`, ns, { mode: 'monitor', checks: { app: policyYaml(`npm-${ns}`, { namespace: ns }) } }));
    for (const args of [['init', '-q', '-b', 'main'], ['add', '.'], ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'spec']]) {
      await run('git', args, { cwd: repo, env: ENV });
    }
    const plan = kspec(['plan', '--repo', repo, '--kubeconfig', cluster.kubeconfigPath, '--namespace', ns]);
    assert.equal(plan.status, 1, `exit 1 means drift found\n${plan.stderr}`);
    assert.match(plan.stdout, new RegExp(`npm-${ns}`));
    assert.match(plan.stdout, /missing/i);
  });

  test('with no usable runtime the launcher says what to do instead of failing inside kspec', (t) => {
    const systemNode = spawnSync('node', ['-p', 'process.versions.node'], { env: ENV, encoding: 'utf8' }).stdout.trim();
    const [major, minor] = systemNode.split('.').map(Number);
    if (major > 22 || (major === 22 && minor >= 19)) return t.skip(`the machine's Node ${systemNode} runs kspec itself`);
    // As if the `node` dependency's install script had been blocked: hide its binary.
    const runtime = path.join(work, 'prefix/lib/node_modules/kspec/node_modules/node/bin/node');
    const hidden = `${runtime}.hidden`;
    renameSync(runtime, hidden);
    try {
      const help = kspec(['--help']);
      assert.equal(help.status, 2);
      assert.match(help.stderr, new RegExp(`kspec needs Node\\.js 22\\.19 or newer \\(this is v${systemNode.replace(/\./g, '\\.')}`));
      assert.match(help.stderr, /Node\.js 24 first on PATH/);
    } finally {
      renameSync(hidden, runtime);
    }
  });
});
