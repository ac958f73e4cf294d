import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { parse } from 'yaml';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.ts';
import { testCluster } from '../support/cluster.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function specRepo(ns: string, id: string, mode = 'enforce'): string {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-cli-'));
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'specs/target.yaml'), `apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata: {name: local, namespace: ${ns}}\nspec: {inCluster: true, version: "1.20.2"}\n`);
  writeFileSync(join(dir, 'specs/spec.yaml'), `apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata: {name: cli-${id}, namespace: ${ns}}
spec:
  targetClusterRef: {name: local}
  enforcementMode: ${mode}
  policies:
    - id: labels
      title: Labels
      severity: low
      checks:
        - id: app
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata: {name: cli-${id}}
            spec:
              rules:
                - name: app-label
                  match: {any: [{resources: {kinds: [Pod], namespaces: [${ns}]}}]}
                  validate: {message: app label, pattern: {metadata: {labels: {app: "?*"}}}}
`);
  return dir;
}

test('validate: exit 0 on the examples, exit 1 with file:line:field on a bad spec', async () => {
  const good = await cli(['validate', join(ROOT, 'examples/repo')]);
  assert.equal(good.code, 0, good.err);
  assert.match(good.out, /3 specifications, 1 targets, 12 checks, 0 errors/);
  const dir = specRepo('x', 'bad');
  writeFileSync(join(dir, 'specs/spec.yaml'), (await import('node:fs')).readFileSync(join(dir, 'specs/spec.yaml'), 'utf8').replace('severity: low', 'severity: minor'));
  const bad = await cli(['validate', dir]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^specs\/spec\.yaml:10:\d+: spec\.policies\[0\]\.severity: must be one of: critical, high, medium, low$/m);
  const json = await cli(['validate', dir, '-o', 'json']);
  assert.equal(json.code, 1);
  const [error] = JSON.parse(json.out).errors;
  assert.deepEqual({ file: error.file, line: error.line, field: error.field }, { file: 'specs/spec.yaml', line: 10, field: 'spec.policies[0].severity' });
});

test('validate: a targetClusterRef that names no ClusterTarget in the repository is an error at its line, a note with --targets-from-cluster', async () => {
  const dir = specRepo('x', 'dangling');
  writeFileSync(join(dir, 'specs/spec.yaml'), (await import('node:fs')).readFileSync(join(dir, 'specs/spec.yaml'), 'utf8').replace('targetClusterRef: {name: local}', 'targetClusterRef: {name: prod}'));
  const dangling = await cli(['validate', dir]);
  assert.equal(dangling.code, 1);
  assert.match(dangling.err, /^specs\/spec\.yaml:5:\d+: spec\.targetClusterRef\.name: ClusterTarget "prod" is not defined in this repository \(namespace x\); pass --targets-from-cluster if it is applied to the cluster instead$/m);
  const fromCluster = await cli(['validate', dir, '--targets-from-cluster']);
  assert.equal(fromCluster.code, 0, fromCluster.err);
  assert.match(fromCluster.err, /^note: specs\/spec\.yaml:5:\d+: spec\.targetClusterRef\.name: ClusterTarget "prod" is not defined in this repository \(namespace x\): expected from the cluster$/m);
  assert.match(fromCluster.out, /1 specifications, 1 targets, \d+ checks, 0 errors/);
  // The target in another namespace does not count: specs and targets pair up by namespace.
  writeFileSync(join(dir, 'specs/target.yaml'), 'apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata: {name: prod, namespace: y}\nspec: {inCluster: true, version: "1.20.2"}\n');
  assert.equal((await cli(['validate', dir])).code, 1);
  writeFileSync(join(dir, 'specs/target.yaml'), 'apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata: {name: prod, namespace: x}\nspec: {inCluster: true, version: "1.20.2"}\n');
  const fixed = await cli(['validate', dir, '-o', 'json']);
  assert.equal(fixed.code, 0, fixed.out);
  assert.deepEqual(JSON.parse(fixed.out).errors, []);
});

test('render prints the policies with ownership labels', async () => {
  const { code, out } = await cli(['render', join(ROOT, 'examples/repo')]);
  assert.equal(code, 0);
  assert.equal(out.match(/^kind: ClusterPolicy$/gm)?.length, 9);
  assert.equal(out.match(/^kind: ValidatingPolicy$/gm)?.length, 3);
  assert.match(out, /app\.kubernetes\.io\/managed-by: kspec/);
});

test('render -o is the format: a YAML stream or a JSON List of the same policies; a folder goes to --output-dir', async () => {
  const yaml = await cli(['render', join(ROOT, 'examples/repo')]);
  const json = await cli(['render', join(ROOT, 'examples/repo'), '-o', 'json']);
  assert.equal(json.code, 0, json.err);
  const list = JSON.parse(json.out);
  assert.equal(list.kind, 'List');
  assert.deepEqual(list.items, yaml.out.split(/^---$/m).map((doc) => parse(doc)));
  const out = join(mkdtempSync(join(tmpdir(), 'kspec-render-')), 'json');
  const asFolder = await cli(['render', join(ROOT, 'examples/repo'), '-o', out]);
  assert.equal(asFolder.code, 2);
  assert.match(asFolder.err, /--output \(-o\) is the format, yaml or json, not "[^"]+"; to write files use --output-dir /);
  assert.ok(!existsSync(out), 'no folder named after the format');
});

test('usage errors exit 2 and name the problem', async () => {
  assert.equal((await cli(['nope'])).code, 2);
  const r = await cli(['plan']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--repo is required/);
  assert.equal((await cli(['reconcile', '--repo', '.', '--write-back', 'sometimes'])).code, 2);
});

test('plan exit codes follow kubectl diff: 1 with drift, 0 without, 2 on error; reconcile runs one pass without --once, logs on stderr only', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('cli');
  const id = ns.slice(-8);
  const repo = specRepo(ns, id);
  const env = { KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_LOG_LEVEL: 'error' };
  const drift = await cli(['plan', '--repo', repo], env);
  assert.equal(drift.code, 1, drift.err);
  assert.match(drift.out, new RegExp(`\\+ ClusterPolicy/cli-${id}  missing \\(create\\)`));
  const applied = await cli(['reconcile', '--repo', repo, '-o', 'json'], { ...env, KSPEC_LOG_LEVEL: 'info' });
  assert.equal(applied.code, 0, applied.out);
  // stdout is the JSON result alone; the log lines are on stderr, as JSON since it is no terminal.
  assert.equal(JSON.parse(applied.out).specs[0].phase, 'Active');
  const logs = applied.err.trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string });
  assert.ok(logs.length > 0 && logs.every((l) => l.level && l.msg), applied.err);
  const clean = await cli(['plan'], { ...env, KSPEC_REPO: repo });
  assert.equal(clean.code, 0, clean.out);
  assert.match(clean.out, /no drift: 1 policies in sync/);
  const broken = await cli(['plan', '--repo', join(repo, 'does-not-exist')], env);
  assert.equal(broken.code, 2);
});

test('plan after a monitor spec was reconciled exits 0; a report-only spec\'s drift stays and plan says kspec only reports it', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('climon');
  const id = ns.slice(-8);
  const repo = specRepo(ns, id, 'monitor');
  const env = { KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_LOG_LEVEL: 'error' };
  const before = await cli(['plan', '--repo', repo], env);
  assert.equal(before.code, 1, before.err);
  assert.match(before.out, new RegExp(`\\(monitor\\)[^\\n]*\\n  \\+ ClusterPolicy/cli-${id}  missing \\(create\\)`));
  const applied = await cli(['reconcile', '--repo', repo], env);
  assert.equal(applied.code, 0, applied.out + applied.err);
  const clean = await cli(['plan', '--repo', repo], env);
  assert.equal(clean.code, 0, clean.out);
  assert.match(clean.out, /no drift: 1 policies in sync/);

  const reportOnly = specRepo(ns, `r${id}`, 'monitor\n  remediation: report');
  // --once is no longer needed, and still accepted.
  assert.equal((await cli(['reconcile', '--once', '--repo', reportOnly], env)).code, 0);
  const standing = await cli(['plan', '--repo', reportOnly], env);
  assert.equal(standing.code, 1, 'the drift kspec leaves alone is still drift');
  assert.match(standing.out, new RegExp(`\\(monitor, report only\\)[^\\n]*\\n  \\+ ClusterPolicy/cli-r${id}  missing \\(report only\\)`));
});

function writeManifest(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kspec-manifest-')), 'manifest.yaml');
  writeFileSync(file, text);
  return file;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

test('kspec run reconciles, serves /metrics, /healthz and /readyz, and stops on SIGTERM', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('run');
  const id = ns.slice(-8);
  const port = await freePort();
  // A Pod without the app label in the test's own namespace: the monitored policy's only violation.
  await cluster.applyManifests([writeManifest(`apiVersion: v1\nkind: Pod\nmetadata: {name: unlabeled, namespace: ${ns}}\nspec: {containers: [{name: app, image: registry.example.com/app:1}]}\n`)]);
  const child = spawn(process.execPath, [join(ROOT, 'bin/kspec.js'), 'run', '--repo', specRepo(ns, id, 'monitor'), '--schedule', '0 0 1 1 *', '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, KSPEC_KUBECONFIG: cluster.kubeconfigPath, KSPEC_NAMESPACE: ns, KSPEC_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(ready, `never became ready: ${stderr}`);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, new RegExp(`kspec_compliance_score\\{cluster="local",spec="cli-${id}"\\} 0`));
  assert.match(metrics, new RegExp(`kspec_drift_events_total\\{cluster="local",spec="cli-${id}",type="missing"\\} 1`));
  assert.match(metrics, /kspec_reconciliation_duration_seconds_bucket/);
  assert.match(metrics, new RegExp(`kspec_policy_violations_total\\{cluster="local",spec="cli-${id}",policy="labels",severity="low"\\} 1`));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});
