import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpecs, loadSpecsInTurns } from '../../src/spec/load.ts';
import type { LoadResult } from '../../src/spec/load.ts';
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
  assert.equal(result.specs[0].origin.locateCheck?.(0, 0).line, 15);
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

const target = (name: string, namespace?: string) =>
  `apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  version: "1.30"\n`;

// Inputs that used to vanish without a word: each is now an error naming file and line, and the
// other files still load.
const silentDrops: { name: string; content: string | Uint8Array; expect: RegExp }[] = [
  { name: 'UTF-16 file', content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(goodSpec('x'), 'utf16le')]), expect: /^specs\/bad\.yaml:1: file is UTF-16 encoded/ },
  { name: 'UTF-16 file without a byte order mark', content: Buffer.from(goodSpec('x'), 'utf16le'), expect: /^specs\/bad\.yaml:1: file contains a NUL byte/ },
  { name: 'invalid UTF-8, at its line', content: Buffer.concat([Buffer.from('a: 1\nb: '), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]), expect: /^specs\/bad\.yaml:2: file is not valid UTF-8$/ },
  { name: 'a kind typo', content: goodSpec('x').replace('kind: ClusterSpecification', 'kind: ClusterSpecfication'), expect: /^specs\/bad\.yaml:2:1: kind: unknown kspec\.io kind "ClusterSpecfication" \(did you mean ClusterSpecification\?\)/ },
  { name: 'a kind typo under another API group', content: goodSpec('x').replace('kind: ClusterSpecification', 'kind: clusterspecification').replace('kspec.io/v1alpha1', 'v1'), expect: /kind "clusterspecification" is not one kspec reads; did you mean ClusterSpecification\?/ },
  { name: 'a kspec.io document of an unknown kind', content: 'apiVersion: kspec.io/v1alpha1\nkind: Exemption\nmetadata: {name: x}\n', expect: /^specs\/bad\.yaml:2:1: kind: unknown kspec\.io kind "Exemption"; kspec reads ClusterSpecification, ClusterTarget/ },
  { name: 'a misspelled field', content: goodSpec('x').replace('enforcementMode:', 'enforcmentMode: monitor\n  enforcementMode:'), expect: /^specs\/bad\.yaml:8:\d+: spec\.enforcmentMode: unknown field \(did you mean enforcementMode\?\)/ },
  { name: 'an unknown field in a check', content: goodSpec('x').replace('- id: non-root', '- id: non-root\n          severity: high'), expect: /spec\.policies\[0\]\.checks\[0\]\.severity: unknown field; known fields: id, title, kyvernoPolicy/ },
  { name: 'labels given as a string', content: goodSpec('x').replace('  name: x\n', '  name: x\n  labels: team=a\n'), expect: /metadata\.labels: must be object/ },
  { name: 'a label value that is not a string', content: goodSpec('x').replace('  name: x\n', '  name: x\n  labels: {replicas: 3}\n'), expect: /metadata\.labels\.replicas: must be string/ },
  { name: 'a label key Kubernetes rejects', content: goodSpec('x').replace('  name: x\n', '  name: x\n  labels: {"a b": c}\n'), expect: /metadata\.labels\["a b"\]: is not a valid key/ },
];

for (const c of silentDrops) {
  test(`no silent drop: ${c.name}`, () => {
    const result = loadSpecs(new Map<string, string | Uint8Array>([['specs/bad.yaml', c.content], ['specs/good.yaml', goodSpec('b')]]));
    assert.match(result.errors.map(formatSpecError).join('\n'), c.expect);
    assert.deepEqual(result.specs.map((s) => s.spec.metadata.name), ['b'], 'the good file still loads');
  });
}

test('two ClusterTargets with one name are both rejected; one name in two namespaces is fine', () => {
  const result = loadSpecs(new Map([['a.yaml', target('prod')], ['b.yaml', target('prod')], ['c.yaml', `${target('prod', 'team-a')}---\n${target('prod', 'team-b')}`]]));
  assert.deepEqual(result.targets.map((t) => `${t.target.metadata.namespace}/${t.target.metadata.name}`), ['team-a/prod', 'team-b/prod']);
  assert.deepEqual(result.errors.map(formatSpecError), ['b.yaml:1: metadata.name: ClusterTarget "prod" in namespace kspec-system is also defined at a.yaml:1']);
});

test('same-name specs in two namespaces both load; their errors say which namespace', () => {
  const inNamespace = (ns: string) => goodSpec('web').replace('  name: web\n', `  name: web\n  namespace: ${ns}\n`).replace('name: web-non-root', `name: ${ns}-non-root`);
  const result = loadSpecs(new Map([['a.yaml', inNamespace('team-a')], ['b.yaml', inNamespace('team-b').replace('severity: high', 'severity: urgent')]]));
  assert.deepEqual(result.specs.map((s) => s.spec.metadata.namespace), ['team-a']);
  assert.equal(result.errors[0].specNamespace, 'team-b');
});

test('kspec\'s own report kinds in the repository are not errors', () => {
  const result = loadSpecs(new Map([['r.yaml', 'apiVersion: kspec.io/v1alpha1\nkind: ComplianceReport\nmetadata: {name: r}\n']]));
  assert.deepEqual(result.errors, []);
});

test('an error per file the source could not read, and the rest loads', () => {
  const result = loadSpecs(new Map([['good.yaml', goodSpec('b')]]), { readErrors: [{ file: 'link.yaml', document: 1, line: 1, message: 'is a dangling symbolic link' }] });
  assert.deepEqual(result.errors.map(formatSpecError), ['link.yaml:1: is a dangling symbolic link']);
  assert.deepEqual(result.files, ['good.yaml', 'link.yaml']);
  assert.equal(result.specs.length, 1);
});

test('a document with many problems reports the first 20 and how many more', () => {
  const fields = Array.from({ length: 30 }, (_, i) => `  extra${i}: 1\n`).join('');
  const result = loadSpecs(new Map([['many.yaml', goodSpec('a').replace('spec:\n', `spec:\n${fields}`)]]));
  assert.equal(result.errors.length, 21);
  assert.match(result.errors[20].message, /and 10 more problems in this document/);
});

test('a mapping with 100,000 keys loads (linear parsing; timings are in npm run bench)', () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => `  k${i}: v`).join('\n');
  const result = loadSpecs(new Map([['big.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n${keys}\n`], ['good.yaml', goodSpec('b')]]));
  assert.deepEqual(result.errors, []);
  assert.equal(result.specs.length, 1);
});

test('loading in turns (as a pass does, between its requests) gives what loading at once gives', async () => {
  const files = new Map<string, string | Uint8Array>([
    ['specs/a.yaml', goodSpec('a')],
    ['specs/b.yaml', `${goodSpec('b')}---\napiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata:\n  name: local\nspec:\n  version: "1.20.2"\n`],
    ['specs/dup.yaml', goodSpec('a')],
    ['specs/broken.yaml', 'apiVersion: kspec.io/v1alpha1\nkind: ClusterSpecification\nmetadata: [\n'],
    ['specs/binary.yaml', new Uint8Array([0xff, 0xfe, 0x00])],
  ]);
  const options = { readErrors: [{ file: 'specs/link.yaml', document: 1, line: 1, message: 'a link out of the repository' }] };
  const inTurns = await loadSpecsInTurns(files, options);
  // The places of checks are worked out when asked: compared by what they answer.
  const comparable = (result: LoadResult) => ({ ...result, specs: result.specs.map(({ spec, origin: { locateCheck, ...origin } }) => ({ spec, origin, check: locateCheck?.(0, 0) })) });
  assert.deepEqual(comparable(inTurns), comparable(loadSpecs(files, options)));
  assert.equal(inTurns.specs.length, 1, 'b loads; both specs named a are refused');
  assert.ok(inTurns.errors.length >= 4);
});
