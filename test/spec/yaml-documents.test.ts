import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYamlDocuments } from '../../src/spec/yaml-documents.ts';
import { DEFAULT_LIMITS } from '../../src/spec/limits.ts';

/** The classic "billion laughs": nine levels of nine aliases each, 387 million strings expanded. */
function aliasBomb(): string {
  const names = 'abcdefghij';
  let text = `${names[0]}: &${names[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`;
  for (let i = 1; i < names.length; i++) {
    const prev = `*${names[i - 1]}`;
    text += `${names[i]}: &${names[i]} [${Array(9).fill(prev).join(',')}]\n`;
  }
  return text;
}

const parse = (text: string, limits = DEFAULT_LIMITS) => parseYamlDocuments('f.yaml', text, limits);
const errorOf = (text: string, limits = DEFAULT_LIMITS) => parse(text, limits).map((d) => d.error).find(Boolean);

const rejected: { name: string; text: string; limits?: typeof DEFAULT_LIMITS; message: RegExp; line: number }[] = [
  { name: 'duplicate key, at the second one, naming the first', text: 'a: 1\nb: 2\na: 3\n', message: /^invalid YAML: duplicate key "a" \(first at line 1\)$/, line: 3 },
  { name: 'duplicate key in a nested mapping', text: 'spec:\n  x: 1\n  y: 2\n  x: 3\n', message: /duplicate key "x" \(first at line 2\)/, line: 4 },
  { name: 'alias bomb', text: aliasBomb(), message: /larger than 16 MiB once aliases are expanded \(limit --max-expanded-bytes\)/, line: 7 },
  { name: 'alias that contains itself', text: 'a: &a\n  b: *a\n', message: /alias \*a refers to a node that contains it/, line: 2 },
  { name: 'alias without anchor', text: 'a: *nowhere\n', message: /alias \*nowhere has no anchor/, line: 1 },
  { name: 'mapping as a key', text: '? {a: 1}\n: x\n', message: /a mapping key must be a plain value/, line: 1 },
  { name: 'merge key with a scalar', text: 'a:\n  <<: 3\n', message: /a merge key << takes a mapping/, line: 2 },
  { name: 'too many documents, at the first one past the limit', text: 'a: 1\n---\n'.repeat(5), limits: { ...DEFAULT_LIMITS, maxDocuments: 3 }, message: /more than 3 YAML documents in one file \(limit --max-documents\)/, line: 7 },
  { name: 'within the alias limit but past the expanded size', text: `big: &big "${'x'.repeat(1000)}"\nmany: [${Array(50).fill('*big').join(', ')}]\n`, limits: { ...DEFAULT_LIMITS, maxExpandedBytes: 20_000 }, message: /once aliases are expanded/, line: 2 },
];

for (const c of rejected) {
  test(`rejected YAML: ${c.name}`, () => {
    const error = errorOf(c.text, c.limits);
    assert.ok(error, 'an error is returned, not thrown');
    assert.match(error.message, c.message);
    assert.equal(error.line, c.line);
  });
}

test('nesting deep enough to exhaust the stack is an error, not a crash', () => {
  const error = errorOf('['.repeat(200_000));
  assert.ok(error);
});

test('an error in one document leaves the file\'s other documents', () => {
  const docs = parse(`a: 1\n---\n${aliasBomb()}---\nc: 3\n`);
  assert.deepEqual(docs.map((d) => d.error ? 'error' : d.value), [{ a: 1 }, 'error', { c: 3 }]);
});

test('merge keys: keys written in the mapping win, then earlier merged mappings', () => {
  const [doc] = parse('base: &base {x: 1, y: 1}\nother: &other {y: 2, z: 2}\nm:\n  <<: [*base, *other]\n  x: 0\n');
  assert.deepEqual((doc.value as { m: unknown }).m, { x: 0, y: 1, z: 2 });
});

test('a quoted "<<" is an ordinary key', () => {
  const [doc] = parse('"<<": {a: 1}\n');
  assert.deepEqual(doc.value, { '<<': { a: 1 } });
});

test('__proto__ is data, never the prototype', () => {
  const [doc] = parse('__proto__: {polluted: true}\n');
  const value = doc.value as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
});

test('empty documents and a trailing --- are no documents', () => {
  assert.deepEqual(parse('---\na: 1\n---\n---\n').map((d) => d.value), [{ a: 1 }]);
});

test('locate points at keys and list items', () => {
  const [doc] = parse('spec:\n  rules:\n    - name: a\n    - name: b\n      validate: {}\n');
  assert.equal(doc.locate(['spec', 'rules', 1, 'validate']).line, 5);
  assert.equal(doc.locate(['spec', 'rules', 1, 'missing']).line, 4, 'nearest existing node');
});
