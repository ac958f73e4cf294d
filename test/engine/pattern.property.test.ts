// The engine's pattern matcher (issue 9) on arbitrary input, with a fixed seed: whatever the
// pattern and the resource, compiling and matching never throw, and the outcome is well formed.
// A policy or a manifest from an untrusted repository must give a result, not crash a scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePattern, matchPattern } from '../../src/engine/pattern.ts';
import { compileValuePattern } from '../../src/engine/value-pattern.ts';

const RUNS = { seed: 33, numRuns: 1000 };

// Keys and scalars from the pattern language: anchors, wildcards, operators, ranges,
// quantities, durations, alternatives, and the odd broken one.
const word = fc.constantFrom('name', 'metadata', 'labels', 'app', 'spec', 'containers', 'image', 'x', '', '*', '?');
const anchored = fc.tuple(fc.constantFrom('', '(', '^(', '=(', 'X(', '<(', '+(', '(('), word, fc.constantFrom('', ')', '))')).map(([a, w, b]) => `${a}${w}${b}`);
const operatorText = fc.constantFrom('?*', '*', '!*', 'nginx:*', '!*:latest', 'a | b', '>1 & <5', '>=10', '<=1Gi', '>100m', '10-20', '10!-20', '1h', '>5m', '<', '>', '!', '|', '&', '-', '!-', '0x', '1e400', '1Gi-', '{{ request.object.metadata.name }}', '{{', '}}', 'null');
const scalar = fc.oneof(operatorText, fc.string({ maxLength: 6 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.oneof(anchored, word), tie('value'), { maxKeys: 4 })),
}));

test('property: compiling and matching any pattern against any resource never throws', () => {
  fc.assert(
    fc.property(value, value, (pattern, resource) => {
      const outcome = matchPattern(resource, compilePattern(pattern));
      assert.equal(typeof outcome.ok, 'boolean');
      assert.equal(typeof outcome.skip, 'boolean');
      assert.equal(typeof outcome.message, 'string');
      assert.ok(!(outcome.ok && outcome.skip));
    }),
    RUNS,
  );
});

test('property: any value pattern compiles and answers a boolean for any value', () => {
  fc.assert(
    fc.property(scalar, value, (pattern, candidate) => {
      assert.equal(typeof compileValuePattern(pattern)(candidate), 'boolean');
    }),
    RUNS,
  );
});

test('property: a resource always matches itself used as a plain pattern (no anchors or operators in it)', () => {
  const plain = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.stringMatching(/^[a-z0-9.]{1,6}$/), fc.integer(), fc.boolean(), fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), tie('v'), { minKeys: 1, maxKeys: 3 })),
  })).v;
  fc.assert(
    fc.property(plain, (resource) => {
      assert.equal(matchPattern(resource, compilePattern(resource)).ok, true);
    }),
    RUNS,
  );
});
