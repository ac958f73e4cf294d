// A check's policy text reads the same whichever reader takes it (policy-text.ts): the fast one
// for plain YAML, the positioned one for everything else and for errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readPolicyText } from '../../src/spec/policy-text.ts';
import { parseYamlDocuments } from '../../src/spec/yaml-documents.ts';

/** What the positioned parser alone makes of a text. */
function positioned(text: string): { documents: number; value: unknown; error?: string } {
  const docs = parseYamlDocuments('kyvernoPolicy', text);
  return { documents: docs.length, value: docs[0]?.value, ...(docs[0]?.error ? { error: docs[0].error.message } : {}) };
}

function read(text: string): { documents: number; value: unknown; error?: string } {
  const doc = readPolicyText(text);
  return { documents: doc.documents, value: doc.value, ...(doc.error ? { error: doc.error.message } : {}) };
}

const POLICY = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: disallow-latest-tag
  annotations:
    policies.kyverno.io/title: Disallow Latest Tag   # a comment
spec:
  validationFailureAction: Audit
  background: true
  rules:
    - name: require-image-tag
      match:
        any:
          - resources:
              kinds: ["Pod"]
      validate:
        message: >-
          An image tag is required,
          and not "latest".
        pattern:
          spec:
            containers:
              - image: "!*:latest"
                =(ports):
                  - containerPort: "<65536 & >0"
            =(securityContext):
              runAsUser: 1000
              seLinuxOptions: { level: 's0:c123,c456' }
            priority: 1.5
            ratio: .5e3
            enabled: True
            nothing: ~
            octal: 0o17
            hex: 0x1F
            notANumber: 1_000
            notABool: yes
`;

test('a plain policy reads to the same value as the positioned parser gives, and locates its keys on their lines', () => {
  assert.deepEqual(read(POLICY), positioned(POLICY));
  const doc = readPolicyText(POLICY);
  assert.equal((doc.value as { spec: { rules: { validate: { pattern: { spec: { hex: number } } } }[] } }).spec.rules[0].validate.pattern.spec.hex, 31);
  assert.deepEqual(doc.locate(['spec', 'rules', 0, 'validate', 'message']).line, 17);
  assert.deepEqual(doc.locate(['metadata', 'name']).line, 4);
});

const READ_THE_SAME: { name: string; text: string }[] = [
  { name: 'an anchor and its alias', text: 'a: &x {b: 1}\nc: *x\n' },
  { name: 'a merge key', text: 'base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  y: 3\n' },
  { name: 'explicit tags', text: 'a: !!str 12\nb: !!int "7"\n' },
  { name: 'a key that is null', text: '~: a\nb: 1\n' },
  { name: 'an empty key, and a null one in a flow mapping', text: 'a: 1\n: b\nm: {null: 2}\n' },
  { name: 'an explicit key', text: '? a\n: 1\n' },
  { name: 'a number too large for a double', text: 'a: 1e400\nb: 2\n' },
  { name: 'a __proto__ key', text: '__proto__: {polluted: true}\na: 1\n' },
  { name: 'a directive', text: '%YAML 1.2\n---\na: 1\n' },
];

for (const { name, text } of READ_THE_SAME) {
  test(`${name} reads to the same value as the positioned parser gives`, () => {
    assert.deepEqual(read(text), positioned(text));
  });
}

const REFUSED: { name: string; text: string; message: RegExp; line: number }[] = [
  { name: 'a duplicate key', text: 'a: 1\nb:\n  c: 2\n  c: 3\n', message: /duplicate key "c" \(first at line 3\)/, line: 4 },
  { name: 'a mapping as a key', text: '[a, b]: 1\n', message: /a mapping key must be a plain value/, line: 1 },
  { name: 'bad indentation', text: 'a: b: c\n', message: /^invalid YAML/, line: 1 },
];

for (const { name, text, message, line } of REFUSED) {
  test(`${name} gets the positioned parser's error, at its line`, () => {
    const doc = readPolicyText(text);
    assert.match(doc.error?.message ?? '', message);
    assert.equal(doc.error?.line, line);
  });
}

test('two documents, or none, are counted as the positioned parser counts them', () => {
  assert.equal(readPolicyText('a: 1\n---\nb: 2\n').documents, 2);
  assert.equal(readPolicyText('# only a comment\n').documents, 0);
  assert.equal(readPolicyText('').documents, 0);
});

// The Kyverno policies of the upstream conformance cases, when they are beside the checkout.
const CONFORMANCE = ['kyverno-conformance', 'kyverno-conformance-cel'].map((d) => join(import.meta.dirname, '..', '..', '..', 'shared', d));

test('every YAML file of the Kyverno conformance cases reads the same either way', (t) => {
  const roots = CONFORMANCE.filter((d) => existsSync(d));
  if (roots.length === 0) return t.skip('no ../shared/kyverno-conformance beside the checkout');
  const files = roots.flatMap(yamlFiles);
  let compared = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.deepEqual(read(text), positioned(text), file);
    compared++;
  }
  assert.ok(compared > 100, `only ${compared} files compared`);
});

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}
