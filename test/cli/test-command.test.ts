// `kspec test` through the real executable: exit codes that do not lie, CI formats, reading only
// regular files under the folder under test, and no raw control characters on the terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kspec } from '../support/kspec-cli.ts';

const POLICY = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-team}
spec:
  validationFailureAction: Enforce
  rules:
    - name: check-team
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate: {message: label team is required, pattern: {metadata: {labels: {team: "?*"}}}}
`;
const RESOURCES = `apiVersion: v1
kind: Pod
metadata: {name: good, labels: {team: a}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec: {containers: [{name: c, image: nginx}]}
`;
function testFile(policies: string[], results = '[{policy: require-team, rule: check-team, kind: Pod, resources: [good], result: pass}, {policy: require-team, rule: check-team, kind: Pod, resources: [bad], result: fail}]'): string {
  return `apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: team}\npolicies: ${JSON.stringify(policies)}\nresources: [resources.yaml]\nresults: ${results}\n`;
}

/** A folder holding `suite/` (the folder under test) and things outside it. */
function workspace(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-test-cmd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('kspec test: exit 0 when every expected result holds, 1 when one does not', async (t) => {
  const dir = workspace(t, { 'suite/policy.yaml': POLICY, 'suite/resources.yaml': RESOURCES, 'suite/kyverno-test.yaml': testFile(['policy.yaml']) });
  const ok = await kspec(['test', join(dir, 'suite')]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^2 passed, 0 failed\n$/);
  writeFileSync(join(dir, 'suite/kyverno-test.yaml'), testFile(['policy.yaml'], '[{policy: require-team, rule: check-team, kind: Pod, resources: [bad], result: pass}]'));
  const failing = await kspec(['test', join(dir, 'suite')]);
  assert.equal(failing.code, 1);
  assert.match(failing.stdout, /FAIL kyverno-test.yaml: policy=require-team rule=check-team resource=Pod\/bad expected=pass got=fail/);
});

test('kspec test: a test file that does not load, or nothing to run, fails the run', async (t) => {
  const dir = workspace(t, {
    'broken/kyverno-test.yaml': 'name: x\npolicies: [policy.yaml\nresults: [ {\n',
    'empty/README.md': 'no tests here\n',
    'no-results/policy.yaml': POLICY,
    'no-results/resources.yaml': RESOURCES,
    'no-results/kyverno-test.yaml': testFile(['policy.yaml'], '[]'),
    'missing-policy/resources.yaml': RESOURCES,
    'missing-policy/kyverno-test.yaml': testFile(['nope.yaml'], '[]'),
  });
  const broken = await kspec(['test', join(dir, 'broken')]);
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /kyverno-test\.yaml: error: .*kyverno-test\.yaml:\d+:\d+: invalid YAML/);
  assert.match(broken.stdout, /0 passed, 0 failed; 1 test file with errors, no test results to check\n$/);
  const empty = await kspec(['test', join(dir, 'empty')]);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /no kyverno-test\.yaml found/);
  const noResults = await kspec(['test', join(dir, 'no-results')]);
  assert.equal(noResults.code, 1);
  assert.match(noResults.stdout, /error: no results to check/);
  const missing = await kspec(['test', join(dir, 'missing-policy')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /cannot load policy nope\.yaml: .*nope\.yaml: no such file/);
});

test('kspec test -o json and -o junit: machine-readable reports with the same verdict', async (t) => {
  const dir = workspace(t, { 'suite/policy.yaml': POLICY, 'suite/resources.yaml': RESOURCES, 'suite/kyverno-test.yaml': testFile(['policy.yaml'], '[{policy: require-team, rule: check-team, kind: Pod, resources: [good], result: pass}, {policy: require-team, rule: check-team, kind: Pod, resources: [bad], result: pass}]') });
  const json = await kspec(['test', join(dir, 'suite'), '-o', 'json']);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.passed, false);
  assert.deepEqual(report.summary, { passed: 1, failed: 1, skipped: 0, files: 1 });
  assert.equal(report.files[0].mismatches[0].expected.resource, 'bad');
  assert.equal(report.files[0].mismatches[0].got, 'fail');

  const junit = await kspec(['test', join(dir, 'suite'), '-o', 'junit']);
  assert.equal(junit.code, 1);
  assert.match(junit.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="kspec test" tests="2" failures="1" errors="0" skipped="0">/);
  assert.match(junit.stdout, /<testcase classname="kyverno-test.yaml" name="policy=require-team rule=check-team resource=Pod\/good"\/>/);
  assert.match(junit.stdout, /<testcase classname="kyverno-test.yaml" name="policy=require-team rule=check-team resource=Pod\/bad">\n\s+<failure message="expected pass, got fail">validation error: label team is required/);
  // xmllint, when installed, checks the document is well-formed.
  try {
    execFileSync('xmllint', ['--noout', '-'], { input: junit.stdout });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const usage = await kspec(['test', join(dir, 'suite'), '-o', 'xml']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--output must be text, json or junit/);
});

test('kspec test reads only files under the folder under test unless --allow-outside', async (t) => {
  const marker = 'OUTSIDE-CONTENT-7f3a';
  const dir = workspace(t, {
    // Invalid YAML whose first line would be quoted by a YAML error snippet.
    'outside.yaml': `${marker}: [\n  : :\n`,
    'suite/policy.yaml': POLICY,
    'suite/resources.yaml': RESOURCES,
    'suite/abs/kyverno-test.yaml': '', 'suite/up/kyverno-test.yaml': '', 'suite/link/kyverno-test.yaml': '',
  });
  const results = '[{policy: require-team, rule: check-team, kind: Pod, resources: [good], result: pass}]';
  writeFileSync(join(dir, 'suite/abs/kyverno-test.yaml'), testFile([join(dir, 'outside.yaml'), '../policy.yaml'], results).replace('resources.yaml', '../resources.yaml'));
  writeFileSync(join(dir, 'suite/up/kyverno-test.yaml'), testFile(['../../outside.yaml', '../policy.yaml'], results).replace('resources.yaml', '../resources.yaml'));
  symlinkSync(join(dir, 'outside.yaml'), join(dir, 'suite/link/policy.yaml'));
  writeFileSync(join(dir, 'suite/link/kyverno-test.yaml'), testFile(['policy.yaml', '../policy.yaml'], results).replace('resources.yaml', '../resources.yaml'));

  const confined = await kspec(['test', join(dir, 'suite')]);
  assert.equal(confined.code, 1, 'a refused file is an error of its test file');
  assert.match(confined.stdout, /abs\/kyverno-test\.yaml: error: cannot load policy .*outside\.yaml: absolute paths are not read; kspec test reads only files under .*suite \(--allow-outside lifts this\)/);
  assert.match(confined.stdout, /up\/kyverno-test\.yaml: error: cannot load policy \.\.\/\.\.\/outside\.yaml: the path leads outside the folder under test/);
  assert.match(confined.stdout, /link\/kyverno-test\.yaml: error: cannot load policy policy\.yaml: a symbolic link leads outside the folder under test/);
  assert.match(confined.stdout, /3 passed, 0 failed; 3 test files with errors/, 'the policy inside still ran');
  assert.ok(!confined.stdout.includes(marker) && !confined.stderr.includes(marker));

  // With --allow-outside the file is read; its YAML error names file, line and column but quotes no line.
  const allowed = await kspec(['test', join(dir, 'suite'), '--allow-outside']);
  assert.equal(allowed.code, 1);
  assert.match(allowed.stdout, /outside\.yaml:\d+:\d+: invalid YAML/);
  assert.ok(!allowed.stdout.includes(marker) && !allowed.stderr.includes(marker), allowed.stdout);
});

test('kspec test skips what is not a regular file instead of hanging on it', async (t) => {
  const dir = workspace(t, { 'suite/policy.yaml': POLICY, 'suite/resources.yaml': RESOURCES, 'suite/fifo/README': '', 'suite/dev/kyverno-test.yaml': '' });
  execFileSync('mkfifo', [join(dir, 'suite/fifo/kyverno-test.yaml')]);
  execFileSync('mkfifo', [join(dir, 'suite/pipe.yaml')]);
  writeFileSync(join(dir, 'suite/dev/kyverno-test.yaml'), testFile(['../pipe.yaml', '/dev/zero', '../policy.yaml']).replace('resources.yaml', '../resources.yaml'));
  const run = await kspec(['test', join(dir, 'suite'), '--allow-outside']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /kspec test: .*fifo\/kyverno-test\.yaml: not a regular file \(named pipe\), skipped/);
  assert.match(run.stdout, /cannot load policy \.\.\/pipe\.yaml: .*pipe\.yaml: not a regular file \(named pipe\)/);
  assert.match(run.stdout, /cannot load policy \/dev\/zero: \/dev\/zero: not a regular file \(character device\)/);
  assert.match(run.stdout, /2 passed, 0 failed; 1 test file with errors/);
});

test('kspec test prints control characters from test files as visible escapes', async (t) => {
  const dir = workspace(t, {
    'suite/policy.yaml': POLICY,
    'suite/resources.yaml': RESOURCES,
    'suite/kyverno-test.yaml': testFile(['policy.yaml'], '[{policy: "require-team\\e]0;pwned\\a", rule: "check\\e[2J", kind: Pod, resources: [good], result: pass}]'),
  });
  const run = await kspec(['test', join(dir, 'suite')]);
  assert.equal(run.code, 1);
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(run.stdout + run.stderr), JSON.stringify(run.stdout));
  assert.match(run.stdout, /policy=require-team\\x1b\]0;pwned\\x07 rule=check\\x1b\[2J/);
});

test('kspec test and scan --spec refuse URLs plainly, without echoing their credentials', async () => {
  const url = 'https://bot:pw-4e1f9a@git.example/specs.git?access_token=tok-8c2d';
  const testRun = await kspec(['test', url]);
  assert.equal(testRun.code, 2);
  assert.match(testRun.stderr, /kspec test: DIR is a local folder; kspec test does not fetch URLs/);
  const scanRun = await kspec(['scan', '--spec', url, 'x.yaml']);
  assert.equal(scanRun.code, 2);
  assert.match(scanRun.stderr, /--spec reads a local folder or file; scan does not fetch URLs/);
  for (const out of [testRun.stdout, testRun.stderr, scanRun.stdout, scanRun.stderr]) assert.ok(!out.includes('pw-4e1f9a') && !out.includes('tok-8c2d'), out);
});
