// The loader's reader of repository files (src/spec/file-documents.ts): plain YAML is read fast,
// and must come out as the positioned parser reads it, value, lines and literal blocks alike;
// anything else, including input past the limits, is the positioned parser's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFileDocuments } from '../../src/spec/file-documents.ts';
import { parseYamlDocuments } from '../../src/spec/yaml-documents.ts';
import type { SourceDocument } from '../../src/spec/yaml-documents.ts';
import { DEFAULT_LIMITS } from '../../src/spec/limits.ts';
import { loadSpecs } from '../../src/spec/load.ts';
import { renderSpecs } from '../../src/render/render.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every path to a value in a document, mappings and lists alike. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => pathsOf(v, [...at, i]))];
  if (value && typeof value === 'object') return [at, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...at, k]))];
  return [at];
}

function assertSameAsPositioned(file: string, text: string): void {
  const read = readFileDocuments(file, text, DEFAULT_LIMITS);
  const exact = parseYamlDocuments(file, text, DEFAULT_LIMITS);
  const summary = (docs: SourceDocument[]) => docs.map((d) => ({ index: d.index, line: d.line, value: d.value, error: d.error }));
  assert.deepEqual(summary(read), summary(exact), file);
  for (const [i, doc] of read.entries()) {
    for (const path of pathsOf(doc.value)) {
      assert.deepEqual(doc.locate(path), exact[i].locate(path), `${file} ${path.join('.')}`);
      assert.deepEqual(doc.literalBlock(path), exact[i].literalBlock(path), `${file} ${path.join('.')}`);
    }
  }
}

const SPEC = `# Baseline for every cluster.

apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata:
  name: baseline
spec:
  targetClusterRef:
    name: local
  enforcementMode: monitor
  policies:
    - id: pods
      title: Pods
      severity: high
      checks:
        - id: no-privileged
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata:
              name: no-privileged
            spec:
              rules:
                - name: check
                  match:
                    any:
                      - resources:
                          kinds: [Pod]
                  validate:
                    message: "privileged: no"
                    pattern:
                      spec:
                        containers:
                          - =(securityContext):
                              =(privileged): "false"
        - id: folded
          kyvernoPolicy: >
            apiVersion: kyverno.io/v1
`;

test('a plain spec file reads as the positioned parser reads it: value, the line it starts on, every position and literal block', () => {
  assertSameAsPositioned('specs/baseline.yaml', SPEC);
  assert.equal(readFileDocuments('specs/baseline.yaml', SPEC, DEFAULT_LIMITS)[0].line, 3, 'the comment and the blank line before the mapping are not its start');
});

test('every YAML file of the examples and the test fixtures reads as the positioned parser reads it', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(entry.name)) files.push(path);
    }
  };
  walk(join(ROOT, 'examples'));
  walk(join(ROOT, 'test'));
  assert.ok(files.length > 20);
  for (const file of files) assertSameAsPositioned(file, readFileSync(file, 'utf8'));
});

const NOT_FAST: { name: string; text: string; limits?: typeof DEFAULT_LIMITS }[] = [
  { name: 'a duplicate key', text: 'a: 1\nb:\n  c: 2\n  c: 3\n' },
  { name: 'two documents', text: 'a: 1\n---\nb: 2\n' },
  { name: 'an anchor and alias', text: 'a: &x {b: 1}\nc: *x\n' },
  { name: 'a list, not a mapping', text: '- a\n- b\n' },
  { name: 'nothing but a comment', text: '# nothing here\n' },
  { name: 'a file past half the expanded-size limit', text: `a: ${'x'.repeat(600)}\n`, limits: { ...DEFAULT_LIMITS, maxExpandedBytes: 1000 } },
  { name: 'a file past the expanded-size limit', text: `a: ${'x'.repeat(2000)}\n`, limits: { ...DEFAULT_LIMITS, maxExpandedBytes: 1000 } },
];

for (const { name, text, limits = DEFAULT_LIMITS } of NOT_FAST) {
  test(`${name}: read by the positioned parser, its value and errors as it gives them`, () => {
    const strip = (docs: SourceDocument[]) => docs.map((d) => ({ index: d.index, line: d.line, value: d.value, error: d.error }));
    assert.deepEqual(strip(readFileDocuments('f.yaml', text, limits)), strip(parseYamlDocuments('f.yaml', text, limits)));
  });
}

test('a problem in a check of a fast-read spec file is reported at its line in the file', () => {
  const oneCheck = SPEC.slice(0, SPEC.indexOf('        - id: folded'));
  const broken = oneCheck.replace('              name: no-privileged', '              name: No_Privileged');
  const { specs } = loadSpecs(new Map([['specs/baseline.yaml', broken]]));
  const [rendered] = renderSpecs(specs, 'c0ffee').values();
  assert.equal(rendered.errors.length, 1, JSON.stringify(rendered.errors));
  assert.equal(rendered.errors[0].line, broken.split('\n').findIndex((l) => l.includes('No_Privileged')) + 1);
  assert.equal(rendered.errors[0].field, 'spec.policies[0].checks[0].kyvernoPolicy metadata.name');
});
