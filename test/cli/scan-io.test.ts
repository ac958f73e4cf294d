// kspec scan's inputs and outputs at their edges: --fail-on, special files, control characters
// from manifests, progress while loading, and outputs far larger than one string may be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { kspec } from '../support/kspec-cli.ts';
import { main } from '../../src/cli/main.ts';
import { writeScan } from '../../src/cli/scan-output.ts';
import type { ScanResult, ScanRun } from '../../src/compliance/offline-scan.ts';

const FIX = 'test/cli/fixtures/scan';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-scan-io-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('scan --fail-on: Enforce violations fail the run by default, Audit ones are warnings', async (t) => {
  // require-team enforces, no-latest audits.
  const dir = tempDir(t);
  writeFileSync(join(dir, 'latest.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: latest, labels: {team: a}}\nspec: {containers: [{name: c, image: "nginx:latest"}]}\n');
  const audit = await kspec(['scan', '--policy', `${FIX}/policies`, join(dir, 'latest.yaml')]);
  assert.equal(audit.code, 0, 'only an Audit rule is violated');
  assert.match(audit.stdout, /^WARN\s+low\s+no-latest\/tag\s+Pod\/latest/m);
  assert.match(audit.stdout, /1 of the 1 failures are in Audit rules: shown as WARN, they do not fail the run/);
  assert.equal((await kspec(['scan', '--policy', `${FIX}/policies`, '--fail-on', 'any', join(dir, 'latest.yaml')])).code, 1);

  const enforced = await kspec(['scan', '--policy', `${FIX}/policies`, '-o', 'json', `${FIX}/manifests`]);
  assert.equal(enforced.code, 1);
  const report = JSON.parse(enforced.stdout);
  assert.equal(report.summary.failOn, 'enforce');
  assert.equal(report.summary.failing, 2, 'the two require-team failures');
  assert.equal(report.results.find((r: ScanResult) => r.policy === 'no-latest').failureAction, 'Audit');
  const none = await kspec(['scan', '--policy', `${FIX}/policies`, '--fail-on', 'none', '-o', 'sarif', `${FIX}/manifests`]);
  assert.equal(none.code, 0);
  assert.ok(JSON.parse(none.stdout).runs[0].results.every((r: { level: string }) => r.level === 'warning'));
  const bad = await kspec(['scan', '--policy', `${FIX}/policies`, '--fail-on', 'some', `${FIX}/manifests`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--fail-on must be enforce, any or none/);
});

test('scan passes over FIFOs, sockets and devices with a note instead of hanging', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n');
  execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
  const run = await kspec(['scan', '--policy', `${FIX}/policies`, '--fail-on', 'any', dir, '/dev/zero']);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /kspec scan: .*pipe\.yaml: not a regular file \(named pipe\), skipped/);
  assert.match(run.stderr, /kspec scan: \/dev\/zero: not a regular file \(character device\), skipped/);
  assert.match(run.stdout, /^1 resources, 2 policies:/m);
  const policyPipe = await kspec(['scan', '--policy', join(dir, 'pipe.yaml'), join(dir, 'pod.yaml')]);
  assert.equal(policyPipe.code, 2, 'no policies left');
  assert.match(policyPipe.stderr, /pipe\.yaml: not a regular file \(named pipe\), skipped/);
});

test('scan prints control characters from manifests as visible escapes in its table', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'evil.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: "x\\e[2J\\e]0;title\\a\\u202eevil", namespace: "ns\\r"}\nspec: {containers: [{name: c, image: nginx}]}\n');
  const run = await kspec(['scan', '--policy', `${FIX}/policies`, join(dir, 'evil.yaml')]);
  assert.equal(run.code, 1);
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f\u202e]/.test(run.stdout + run.stderr), JSON.stringify(run.stdout));
  assert.match(run.stdout, /ns\\x0d\/Pod\/x\\x1b\[2J\\x1b\]0;title\\x07\\u202eevil/);
});

test('scan shows progress while it loads files, on a terminal only', async () => {
  let stderr = '';
  const io = { stdout: () => undefined, stderr: (s: string) => { stderr += s; }, env: {}, stderrIsTTY: true, progressDelayMs: 0 };
  await main(['scan', '--policy', `${FIX}/policies`, `${FIX}/manifests`, `${FIX}/good.yaml`], io);
  assert.match(stderr, /\] 100% 3\/3 files loaded/);
  assert.match(stderr, /\] 100% 5\/5 resources/);
  const piped = await kspec(['scan', '--policy', `${FIX}/policies`, `${FIX}/manifests`]);
  assert.equal(piped.stderr, '', 'no progress when stderr is not a terminal');
});

/** A scan run of `count` failing results, produced one at a time as the engine would. */
function syntheticRun(count: number): ScanRun {
  const summary = { resources: count, policies: 1, pass: 0, fail: count, warn: 0, error: 0, skip: 0, failing: count, failOn: 'enforce' as const };
  function* results(): Generator<ScanResult> {
    for (let i = 0; i < count; i++) {
      yield { policy: 'require-team', rule: 'check-team', result: 'fail', message: 'label team is required', severity: 'high', failureAction: 'Enforce', resource: { apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: `pod-${i}` }, file: 'big.yaml', line: i * 5 + 1 };
    }
  }
  return { summary, results: results() };
}

test('scan output is streamed in bounded chunks: 160,000 rows in every format', () => {
  const rows = 160_000;
  for (const format of ['table', 'json', 'yaml', 'sarif'] as const) {
    let chunks = 0;
    let largest = 0;
    let lines = 0;
    let last = '';
    writeScan(syntheticRun(rows), [], format, (text) => {
      chunks++;
      largest = Math.max(largest, text.length);
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
      assert.ok(text.endsWith('\n'), 'chunks end at line ends');
      last = text;
    });
    assert.ok(largest < 256 * 1024, `${format}: largest write ${largest} chars`);
    assert.ok(chunks > 100, `${format}: ${chunks} writes`);
    if (format === 'table') {
      assert.equal(lines, rows + 3, 'header, rows, blank line, summary');
      assert.match(last, /160000 resources, 1 policies: 0 passed, 160000 failed/);
    }
    if (format === 'json') assert.match(last, /"failing": 160000,\n    "failOn": "enforce"\n  }\n}\n$/);
  }
  // A small run of each streamed format is the document it claims to be.
  let json = '';
  writeScan(syntheticRun(3), [], 'json', (s) => { json += s; });
  assert.deepEqual(JSON.parse(json).results.map((r: ScanResult) => r.resource.name), ['pod-0', 'pod-1', 'pod-2']);
  let yaml = '';
  writeScan(syntheticRun(3), [], 'yaml', (s) => { yaml += s; });
  const parsed = parseYaml(yaml);
  assert.deepEqual(parsed.results[2], { ...[...syntheticRun(3).results][2] });
  assert.equal(parsed.summary.failing, 3);
  let sarif = '';
  writeScan(syntheticRun(3), [], 'sarif', (s) => { sarif += s; });
  const doc = JSON.parse(sarif);
  assert.equal(doc.runs[0].results.length, 3);
  assert.equal(doc.runs[0].tool.driver.rules[0].id, 'require-team/check-team');
  let none = '';
  writeScan(syntheticRun(0), [], 'sarif', (s) => { none += s; });
  assert.deepEqual(JSON.parse(none).runs[0].results, []);
});

test('scan --policy reads ValidatingPolicies: Deny fails the run, Audit warns, autogen covers Deployments', async (t) => {
  const dir = tempDir(t);
  const vpol = (actions: string) => `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: no-latest-${actions.toLowerCase()}}
spec:
  validationActions: [${actions}]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
    - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
      message: latest is mutable
`;
  writeFileSync(join(dir, 'deny.yaml'), vpol('Deny'));
  writeFileSync(join(dir, 'audit.yaml'), vpol('Audit'));
  writeFileSync(join(dir, 'app.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: shop}\nspec: {template: {spec: {containers: [{name: c, image: "nginx:latest"}]}}}\n');
  const denied = await kspec(['scan', '--policy', join(dir, 'deny.yaml'), '-o', 'json', join(dir, 'app.yaml')]);
  assert.equal(denied.code, 1, denied.stderr);
  const [result] = JSON.parse(denied.stdout).results;
  assert.deepEqual([result.policy, result.result, result.failureAction, result.message], ['no-latest-deny', 'fail', 'Enforce', 'latest is mutable']);
  const audited = await kspec(['scan', '--policy', join(dir, 'audit.yaml'), join(dir, 'app.yaml')]);
  assert.equal(audited.code, 0);
  assert.match(audited.stdout, /^WARN\s+medium\s+no-latest-audit\/no-latest-audit\s+shop\/Deployment\/app/m);
});
