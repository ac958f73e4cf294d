// Properties of the loader (issue 9), with a fixed seed: it never throws, whatever the bytes;
// every error points at a file and a line; one broken file never costs another file its specs;
// and the one-pass YAML converter agrees with the YAML library on every document it accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { loadSpecs } from '../../src/spec/load.ts';
import { parseYamlDocuments } from '../../src/spec/yaml-documents.ts';

const RUNS = { seed: 9, numRuns: 300 };

const goodSpec = `apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata: {name: good}
spec:
  targetClusterRef: {name: local}
  enforcementMode: monitor
  policies:
    - id: p
      title: P
      severity: low
      checks:
        - id: c
          kyvernoPolicy: |
            apiVersion: kyverno.io/v1
            kind: ClusterPolicy
            metadata: {name: good-c}
            spec:
              rules:
                - name: r
                  match: {any: [{resources: {kinds: [Pod]}}]}
                  validate: {pattern: {metadata: {name: "?*"}}}
`;

// Text made of YAML's own punctuation and a few words, so that generated files hit anchors,
// aliases, merge keys, flow collections, block scalars, tags and document markers often.
const yamlToken = fc.constantFrom('&a ', '*a', '&b ', '*b', '<<: ', '- ', ': ', '? ', '{', '}', '[', ']', ', ', '|', '>', '!!str ', '!!map ', '---\n', '...\n', '\n', '  ', '"', "'", '#', 'kind', 'ClusterSpecification', 'kspec.io/v1alpha1', 'apiVersion', 'metadata', 'name', 'spec', 'x', '1', 'null', '~', '\t', '\u0000', '\uFEFF');
const yamlish = fc.array(yamlToken, { maxLength: 60 }).map((t) => t.join(''));

/** A good spec with lines dropped, repeated or swapped for generated text. */
const mutatedSpec = fc
  .array(fc.tuple(fc.nat(40), fc.constantFrom('drop', 'repeat', 'replace'), yamlish), { maxLength: 4 })
  .map((edits) => {
    const lines = goodSpec.split('\n');
    for (const [at, how, text] of edits) {
      const i = at % lines.length;
      if (how === 'drop') lines.splice(i, 1);
      else if (how === 'repeat') lines.splice(i, 0, lines[i]);
      else lines[i] = text;
    }
    return lines.join('\n');
  });

const anyBytes = fc.uint8Array({ maxLength: 200 });

test('property: the loader never throws, and every error names a file and a line', () => {
  fc.assert(
    fc.property(fc.oneof(yamlish, mutatedSpec, anyBytes), (content) => {
      const result = loadSpecs(new Map<string, string | Uint8Array>([['x.yaml', content]]));
      for (const error of result.errors) {
        assert.equal(error.file, 'x.yaml');
        assert.ok(Number.isInteger(error.line) && error.line >= 1, JSON.stringify(error));
        assert.ok(error.message.length > 0);
      }
    }),
    RUNS,
  );
});

test('property: a broken file never costs another file its spec', () => {
  fc.assert(
    fc.property(fc.oneof(yamlish, mutatedSpec, anyBytes), (content) => {
      const result = loadSpecs(new Map<string, string | Uint8Array>([['a-broken.yaml', content], ['b-good.yaml', goodSpec]]));
      const fromGood = result.specs.filter((s) => s.origin.file === 'b-good.yaml');
      // Only a same-named spec in the other file may take it away, and then an error says so.
      if (fromGood.length === 0) assert.ok(result.errors.some((e) => /also defined at/.test(e.message)), JSON.stringify(result.errors));
    }),
    RUNS,
  );
});

// JSON-shaped trees, some subtrees shared, so that the library writes anchors and aliases.
const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true })),
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('tree'), { maxKeys: 4 }),
  ),
}));
const withSharing = fc.tuple(tree, tree).map(([a, shared]) => ({ a, first: shared, second: shared, list: [shared, a] }));

test('property: the one-pass converter reads what the YAML library reads', () => {
  fc.assert(
    fc.property(fc.oneof(tree, withSharing), (value) => {
      const text = stringify(value);
      const docs = parseYamlDocuments('t.yaml', text);
      const expected = parse(text, { maxAliasCount: -1 });
      if (expected === null || expected === undefined) return assert.deepEqual(docs, []);
      assert.equal(docs.length, 1);
      assert.equal(docs[0].error, undefined);
      assert.deepEqual(docs[0].value, expected);
    }),
    RUNS,
  );
});

test('property: on generated YAML text the converter agrees with the library wherever the library reads it cleanly', () => {
  fc.assert(
    fc.property(yamlish, (text) => {
      const expected = libraryDocuments(text);
      const docs = parseYamlDocuments('t.yaml', text);
      if (expected === undefined) return;
      // Deliberately stricter than the library: a list or mapping as a key has no JSON form.
      if (docs.some((d) => d.error?.message.includes('a mapping key must be a plain value'))) return;
      assert.deepEqual(docs.map((d) => d.error?.message ?? d.value), expected.filter((v) => v !== null && v !== undefined));
    }),
    RUNS,
  );
});

/** Every document of `text` as the library reads it (merge keys on), or undefined on any error or warning. */
function libraryDocuments(text: string): unknown[] | undefined {
  try {
    const docs = parseAllDocuments(text, { merge: true, uniqueKeys: true });
    const list = Array.isArray(docs) ? docs : [docs];
    if (list.some((d) => d.errors.length || d.warnings.length)) return undefined;
    return list.map((d) => d.toJS({ maxAliasCount: -1 }));
  } catch {
    return undefined;
  }
}
