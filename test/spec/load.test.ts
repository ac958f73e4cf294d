import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpecs } from '../../src/spec/load.ts';
import { formatSpecError } from '../../src/spec/errors.ts';

const goodSpec = (name: string, extra = '') => `apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata:
  name: ${name}
spec:
  targetClusterRef:
    name: local
  enforcementMode: enforce
  policies:
    - id: pod-security
      title: Pod security
      severity: high
      checks:
        - id: non-root
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata:
              name: ${name}-non-root
            spec:
              rules: []
${extra}`;

test('loads specs and targets from multi-document files and ignores other kinds', () => {
  const files = new Map([
    ['specs/a.yaml', `${goodSpec('a')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata:\n  name: local\nspec:\n  version: "1.20.2"\n`],
  ]);
  const result = loadSpecs(files);
  assert.deepEqual(result.errors, []);
  assert.equal(result.specs.length, 1);
  assert.equal(result.specs[0].spec.metadata.namespace, 'kspec-system');
  assert.equal(result.specs[0].origin.checkLines.get('pod-security/non-root'), 15);
  assert.equal(result.targets[0].target.metadata.name, 'local');
});

const cases: { name: string; text: string; expect: RegExp }[] = [
  {
    name: 'bad enum names file, line and field',
    text: goodSpec('a').replace('enforcementMode: enforce', 'enforcementMode: enforcing'),
    expect: /^specs\/bad\.yaml:8:\d+: spec\.enforcementMode: must be one of: monitor, enforce$/,
  },
  {
    name: 'missing required field points at its parent',
    text: goodSpec('a').replace('      severity: high\n', ''),
    expect: /^specs\/bad\.yaml:10:\d+: spec\.policies\[0\]\.severity: required field is missing$/,
  },
  {
    name: 'second document is named',
    text: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n${goodSpec('a').replace('severity: high', 'severity: urgent')}`,
    expect: /^specs\/bad\.yaml:17:\d+ \(document 2\): spec\.policies\[0\]\.severity: must be one of: critical, high, medium, low$/,
  },
  {
    name: 'YAML syntax error',
    text: 'apiVersion: kspec.io/v1alpha1\nkind: ClusterSpecification\nmetadata: {name: a\n',
    expect: /^specs\/bad\.yaml:\d+:\d+: invalid YAML/,
  },
  {
    name: 'duplicate check ids',
    text: goodSpec('a').replace('  - id: non-root\n', '  - id: non-root\n          kyvernoPolicy: x\n        - id: non-root\n'),
    expect: /spec\.policies\[0\]\.checks\[1\]\.id: duplicate check id "non-root"/,
  },
];

for (const c of cases) {
  test(`invalid input: ${c.name}`, () => {
    const result = loadSpecs(new Map([['specs/bad.yaml', c.text], ['specs/good.yaml', goodSpec('b')]]));
    assert.ok(result.errors.length >= 1, 'an error is reported');
    assert.match(formatSpecError(result.errors[0]), c.expect);
    assert.deepEqual(result.specs.map((s) => s.spec.metadata.name), ['b'], 'the good file still loads');
  });
}

test('a spec error names the spec it belongs to', () => {
  const result = loadSpecs(new Map([['s.yaml', goodSpec('payments').replace('severity: high', 'severity: 3')]]));
  assert.equal(result.errors[0].specName, 'payments');
});

test('two specs with the same name are both rejected', () => {
  const result = loadSpecs(new Map([['one.yaml', goodSpec('a')], ['two.yaml', goodSpec('a')]]));
  assert.equal(result.specs.length, 0);
  assert.match(result.errors[0].message, /also defined at one\.yaml:1/);
});
