// sameJson, which drift detection and the write-only-what-changed checks share: equal exactly
// when the JSON the API server would store is equal. Fixed seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sameJson } from '../../src/util/same-json.ts';

const RUNS = { seed: 11, numRuns: 300 };
const json = fc.jsonValue({ maxDepth: 4 });

/** The same value with every object's keys in reverse order. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reordered(v)]));
  return value;
}

/** The value serialised with every object's keys sorted: equal texts, equal JSON. */
function sortedText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1))) : v));
}

test('agrees with comparing the values serialised with sorted keys, whatever the key order', () => {
  fc.assert(fc.property(json, json, (a, b) => {
    assert.equal(sameJson(a, reordered(b)), sortedText(a) === sortedText(b));
    assert.equal(sameJson(a, reordered(a)), true);
  }), RUNS);
  // Pairs that differ in one small place, which random pairs rarely do.
  fc.assert(fc.property(fc.dictionary(fc.string(), json, { minKeys: 1 }), json, (a, replacement) => {
    const key = Object.keys(a)[0];
    const b = { ...a, [key]: replacement };
    assert.equal(sameJson(a, reordered(b)), sortedText(a) === sortedText(b));
  }), RUNS);
});

test('a member set to undefined is the member left out; null is a value', () => {
  assert.equal(sameJson({ a: 1, b: undefined }, { a: 1 }), true);
  assert.equal(sameJson({ a: 1 }, { a: 1, b: undefined }), true);
  assert.equal(sameJson({ a: 1, b: null }, { a: 1 }), false);
  assert.equal(sameJson([1, { x: [] }], [1, { x: {} }]), false);
  assert.equal(sameJson({ spec: { rules: [{ name: 'r' }] } }, { spec: { rules: [{ name: 'r' }, { name: 's' }] } }), false);
});
