// The Kyverno CLI test runner and the `kspec test` command, on a suite written here.
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKyvernoTests } from '../../src/engine/kyverno-test.ts';
import command from '../../src/cli/commands/test.ts';

const policy = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  rules:
  - name: check-team
    match:
      any:
      - resources:
          kinds: [Pod]
    preconditions:
      all:
      - key: "{{ request.operation }}"
        operator: Equals
        value: CREATE
    validate:
      message: "team label must be one of {{ allowed }}"
      deny:
        conditions:
          all:
          - key: "{{ request.object.metadata.labels.team || '' }}"
            operator: AnyNotIn
            value: "{{ allowed }}"
`;
const resources = `apiVersion: v1
kind: Pod
metadata: {name: good, namespace: a, labels: {team: blue}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: a}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: deploy, namespace: a}
spec: {template: {metadata: {labels: {team: red}}, spec: {containers: [{name: c, image: x}]}}}
`;
const values = `apiVersion: cli.kyverno.io/v1alpha1
kind: Values
policies:
- name: require-team
  rules:
  - name: check-team
    values:
      allowed: [blue, green]
`;
const testFile = (bad: string) => `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: require-team
policies: [../policy.yaml]
resources: [../resources.yaml]
variables: values.yaml
results:
- policy: require-team
  rule: check-team
  kind: Pod
  resources: [good]
  result: pass
- policy: require-team
  rule: check-team
  kind: Pod
  resource: bad
  result: ${bad}
- policy: require-team
  rule: check-team
  kind: Deployment
  resources: [deploy]
  result: fail
`;

async function suite(bad: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kspec-test-'));
  await mkdir(join(dir, '.kyverno-test'));
  await writeFile(join(dir, 'policy.yaml'), policy);
  await writeFile(join(dir, 'resources.yaml'), resources);
  await writeFile(join(dir, '.kyverno-test', 'values.yaml'), values);
  await writeFile(join(dir, '.kyverno-test', 'kyverno-test.yaml'), testFile(bad));
  return dir;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: {} }, out, err };
}

test('runner evaluates with values, autogen rule names and legacy resource', async () => {
  const dir = await suite('fail');
  try {
    const report = await runKyvernoTests(dir);
    assert.equal(report.files.length, 1);
    assert.deepEqual([report.passed, report.failed, report.skipped], [3, 0, 0]);
    const c = capture();
    assert.equal(await command.run([dir, '--detailed'], c.io), 0);
    const text = c.out.join('');
    assert.match(text, /3 passed, 0 failed\n$/);
    assert.match(text, /ok   \.kyverno-test\/kyverno-test\.yaml \(require-team\): 3 passed, 0 failed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('mismatches are printed and exit 1', async () => {
  const dir = await suite('pass');
  try {
    const c = capture();
    assert.equal(await command.run([dir], c.io), 1);
    const text = c.out.join('');
    assert.match(text, /policy=require-team rule=check-team resource=Pod\/bad expected=pass got=fail/);
    assert.match(text, /2 passed, 1 failed\n$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2', async () => {
  const c = capture();
  // Through the CLI's dispatcher, which turns usage errors into exit 2 with the usage line.
  assert.equal(await main(['test'], c.io), 2);
  assert.equal(await main(['test', '/definitely/not/here'], c.io), 2);
  assert.match(c.err.join(''), /kspec test: \/definitely\/not\/here does not exist\nUsage: kspec test DIR/);
  assert.equal(await main(['test', '--bogus', '.'], c.io), 2);
});

/** Writes a suite from a map of relative paths to file contents, runs it, and removes it. */
async function runSuite(files: Record<string, string>): Promise<Awaited<ReturnType<typeof runKyvernoTests>>> {
  const dir = await mkdtemp(join(tmpdir(), 'kspec-test-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    return await runKyvernoTests(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const tierPolicy = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: tier-gate}
spec:
  rules:
  - name: gold-only
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    preconditions:
      all:
      - key: "{{ tier || 'none' }}"
        operator: Equals
        value: gold
    validate:
      deny: {}
`;
const threeMaps = ['one', 'two', 'three'].map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${n}}\n`).join('---\n');

test('a values file may list the same policy several times; every entry counts', async () => {
  const report = await runSuite({
    'policy.yaml': tierPolicy,
    'maps.yaml': threeMaps,
    'values.yaml': `policies:
- name: tier-gate
  resources:
  - name: one
    values: {tier: gold}
- name: tier-gate
  resources:
  - name: two
    values: {tier: silver}
- name: tier-gate
  resources:
  - name: three
    values: {tier: gold}
`,
    'kyverno-test.yaml': `name: t
policies: [policy.yaml]
resources: [maps.yaml]
variables: values.yaml
results:
- {policy: tier-gate, rule: gold-only, kind: ConfigMap, resources: [one, three], result: fail}
- {policy: tier-gate, rule: gold-only, kind: ConfigMap, resources: [two], result: skip}
`,
  });
  assert.deepEqual([report.passed, report.failed], [3, 0], JSON.stringify(report.files[0]?.mismatches));
});

test('a test file may carry its Values inline under values:', async () => {
  const report = await runSuite({
    'policy.yaml': tierPolicy,
    'maps.yaml': threeMaps,
    'kyverno-test.yaml': `name: t
policies: [policy.yaml]
resources: [maps.yaml]
values:
  policies:
  - name: tier-gate
    rules:
    - name: gold-only
      values: {tier: gold}
results:
- {policy: tier-gate, rule: gold-only, kind: ConfigMap, resources: [one, two, three], result: fail}
`,
  });
  assert.deepEqual([report.passed, report.failed], [3, 0], JSON.stringify(report.files[0]?.mismatches));
});

test('an empty request.operation in a values file stands for the default CREATE', async () => {
  const report = await runSuite({
    'policy.yaml': `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: on-create}
spec:
  rules:
  - name: block-create
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    preconditions:
      all:
      - {key: "{{ request.operation }}", operator: Equals, value: CREATE}
    validate:
      deny: {}
`,
    'maps.yaml': threeMaps,
    'values.yaml': `policies:
- name: on-create
  resources:
  - name: one
    values: {request.operation: ""}
  - name: two
    values: {request.operation: UPDATE}
`,
    'kyverno-test.yaml': `name: t
policies: [policy.yaml]
resources: [maps.yaml]
variables: values.yaml
results:
- {policy: on-create, rule: block-create, kind: ConfigMap, resources: [one, three], result: fail}
- {policy: on-create, rule: block-create, kind: ConfigMap, resources: [two], result: skip}
`,
  });
  assert.deepEqual([report.passed, report.failed], [3, 0], JSON.stringify(report.files[0]?.mismatches));
});

test('a result entry may name the operation its resource is admitted under', async () => {
  const report = await runSuite({
    'policy.yaml': `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: keep-maps}
spec:
  rules:
  - name: no-delete
    match: {any: [{resources: {kinds: [ConfigMap], operations: [DELETE]}}]}
    validate:
      deny: {}
`,
    'maps.yaml': threeMaps,
    'kyverno-test.yaml': `name: t
policies: [policy.yaml]
resources: [maps.yaml]
results:
- {policy: keep-maps, rule: no-delete, kind: ConfigMap, resources: [one], operation: DELETE, result: fail}
- {policy: keep-maps, rule: no-delete, kind: ConfigMap, resources: [two], result: skip}
- {policy: keep-maps, rule: no-delete, kind: ConfigMap, resources: [three], operation: UPDATE, result: skip}
`,
  });
  assert.deepEqual([report.passed, report.failed], [3, 0], JSON.stringify(report.files[0]?.mismatches));
});

test('an older test.yaml (status:, resource:, no kind) is run when no kyverno-test.yaml is beside it', async () => {
  const oldStyle = `name: t
policies: [policy.yaml]
resources: [maps.yaml]
results:
- {policy: tier-gate, rule: gold-only, resource: one, status: fail}
`;
  const report = await runSuite({
    'policy.yaml': tierPolicy,
    'maps.yaml': threeMaps,
    'values.yaml': `policies:
- name: tier-gate
  rules:
  - name: gold-only
    values: {tier: gold}
`,
    'test.yaml': oldStyle.replace('results:', 'variables: values.yaml\nresults:'),
    'other/test.yaml': 'kind: Something\nspec: {}\n',
  });
  assert.equal(report.files.length, 1);
  assert.deepEqual([report.passed, report.failed], [1, 0], JSON.stringify(report.files[0]?.mismatches));
  const both = await runSuite({
    'policy.yaml': tierPolicy,
    'maps.yaml': threeMaps,
    'test.yaml': oldStyle,
    'kyverno-test.yaml': `name: t
policies: [policy.yaml]
resources: [maps.yaml]
results:
- {policy: tier-gate, rule: gold-only, kind: ConfigMap, resources: [one], result: skip}
`,
  });
  assert.equal(both.files.length, 1);
  assert.match(both.files[0].file, /kyverno-test\.yaml$/);
});

test('foreachValues give each foreach iteration its own value (map or list-of-maps form)', async () => {
  const policy = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: per-item}
spec:
  rules:
  - name: lookup
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      foreach:
      - list: request.object.spec.containers
        context:
        - name: verdict
          imageRegistry: {reference: "{{ element.image }}"}
        deny:
          conditions:
          - {key: "{{ verdict }}", operator: Equals, value: bad}
`;
  const pods = `apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
  - {name: a, image: a:1}
  - {name: b, image: b:1}
`;
  const suite = (values: string, result: string) => runSuite({
    'policy.yaml': policy,
    'pods.yaml': pods,
    'values.yaml': values,
    'kyverno-test.yaml': `name: t
policies: [policy.yaml]
resources: [pods.yaml]
variables: values.yaml
results:
- {policy: per-item, rule: lookup, kind: Pod, resources: [two], result: ${result}}
`,
  });
  const second = await suite('policies:\n- name: per-item\n  rules:\n  - name: lookup\n    foreachValues:\n      verdict: [good, bad]\n', 'fail');
  assert.deepEqual([second.passed, second.failed], [1, 0], JSON.stringify(second.files[0]?.mismatches));
  const none = await suite('policies:\n- name: per-item\n  rules:\n  - name: lookup\n    foreachValues:\n    - verdict: [good, good]\n', 'pass');
  assert.deepEqual([none.passed, none.failed], [1, 0], JSON.stringify(none.files[0]?.mismatches));
});

test('values for request.object.* fields count as the resource fields, for match as well', async () => {
  const report = await runSuite({
    'policy.yaml': `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: frozen}
spec:
  rules:
  - name: frozen-maps
    match: {any: [{resources: {kinds: [ConfigMap], annotations: {example.org/frozen: "yes"}}}]}
    validate:
      deny: {}
`,
    'maps.yaml': threeMaps,
    'values.yaml': `policies:
- name: frozen
  resources:
  - name: one
    values:
      request.object.metadata.annotations."example.org/frozen": "yes"
  - name: two
    values:
      request.object.metadata.annotations."example.org/frozen": "no"
`,
    'kyverno-test.yaml': `name: t
policies: [policy.yaml]
resources: [maps.yaml]
variables: values.yaml
results:
- {policy: frozen, rule: frozen-maps, kind: ConfigMap, resources: [one], result: fail}
- {policy: frozen, rule: frozen-maps, kind: ConfigMap, resources: [two, three], result: skip}
`,
  });
  assert.deepEqual([report.passed, report.failed], [3, 0], JSON.stringify(report.files[0]?.mismatches));
});
