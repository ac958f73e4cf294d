// Anchors, operators, quantities, wildcards and ranges in validate.pattern / anyPattern.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, matchPattern } from '../../src/engine/pattern.ts';
import { compileValuePattern } from '../../src/engine/value-pattern.ts';
import { pod, statusOf } from './helpers.ts';

const valueCases: Array<[unknown, unknown, boolean]> = [
  // [pattern, value, matches]
  ['*', 'anything', true],
  ['?*', '', false],
  ['?*', 'x', true],
  ['nginx:*', 'nginx:1.25', true],
  ['!*:latest', 'nginx:latest', false],
  ['!*:latest', 'nginx:1.0', true],
  ['a | b', 'b', true],
  ['a | b', 'c', false],
  ['>1 & <5', 3, true],
  ['>1 & <5', 7, false],
  ['>0', 0, false],
  ['>0', 1000, true],
  ['>=10', '10', true],
  ['<=1Gi', '512Mi', true],
  ['<=1Gi', '2Gi', false],
  ['>100m', '0.5', true],
  ['<1', 0.5, true],
  ['10-20', 15, true],
  ['10-20', 25, false],
  ['10!-20', 25, true],
  ['10!-20', 15, false],
  ['>1h', '90m', true],
  ['<30s', '1m', false],
  ['!default', 'prod', true],
  ['!default', 'default', false],
  ['false', false, true],
  ['true', false, false],
  [true, true, true],
  [true, 'true', false],
  [0, 0, true],
  [80, '80', true],
  [1.5, 1.5, true],
  [null, null, true],
  [null, '', true],
  [null, 'x', false],
  ['null', null, false],
];

for (const [p, v, expected] of valueCases) {
  test(`value pattern ${JSON.stringify(p)} vs ${JSON.stringify(v)} -> ${expected}`, () => {
    assert.equal(compileValuePattern(p)(v), expected);
  });
}

function outcome(pattern: unknown, resource: unknown): string {
  const r = matchPattern(resource, compilePattern(pattern));
  return r.ok ? 'pass' : r.skip ? 'skip' : r.path ? `fail ${r.path}` : 'error';
}

const treeCases: Array<[string, unknown, unknown, string]> = [
  ['plain key present', { spec: { a: 'x' } }, { spec: { a: 'x' } }, 'pass'],
  ['plain key missing', { spec: { a: '?*' } }, { spec: {} }, 'fail /spec/a/'],
  ['equality anchor absent passes', { spec: { '=(a)': 'x' } }, { spec: {} }, 'pass'],
  ['equality anchor present must match', { spec: { '=(a)': 'x' } }, { spec: { a: 'y' } }, 'fail /spec/a/'],
  ['negation anchor absent passes', { spec: { 'X(a)': 'null' } }, { spec: {} }, 'pass'],
  ['negation anchor present fails', { spec: { 'X(a)': 'null' } }, { spec: { a: 1 } }, 'fail /spec/a/'],
  ['conditional anchor false skips', { spec: { '(kind)': 'web', b: 'x' } }, { spec: { kind: 'db', b: 'y' } }, 'skip'],
  ['conditional anchor true applies', { spec: { '(kind)': 'web', b: 'x' } }, { spec: { kind: 'web', b: 'y' } }, 'fail /spec/b/'],
  ['conditional anchor key missing skips', { spec: { '(kind)': 'web', b: 'x' } }, { spec: { b: 'y' } }, 'skip'],
  ['conditional anchor in list filters elements', { c: [{ '(name)': 'a*', image: '!*:latest' }] }, { c: [{ name: 'b', image: 'x:latest' }, { name: 'a1', image: 'x:1' }] }, 'pass'],
  ['conditional anchor in list: matched element fails', { c: [{ '(name)': 'a*', image: '!*:latest' }] }, { c: [{ name: 'a1', image: 'x:latest' }] }, 'fail /c/0/image/'],
  ['all elements skipped skips', { c: [{ '(name)': 'a*', image: 'x' }] }, { c: [{ name: 'b', image: 'y' }] }, 'skip'],
  ['global anchor false skips whole pattern', { spec: { '<(kind)': 'web', c: [{ image: 'x' }] } }, { spec: { kind: 'db', c: [{ image: 'y' }] } }, 'skip'],
  ['global anchor true applies', { spec: { '<(kind)': 'web', c: [{ image: 'x' }] } }, { spec: { kind: 'web', c: [{ image: 'y' }] } }, 'fail /spec/c/0/image/'],
  ['existence anchor needs one match', { '^(c)': [{ image: 'a*' }] }, { c: [{ image: 'b' }, { image: 'ab' }] }, 'pass'],
  ['existence anchor with no match fails', { '^(c)': [{ image: 'a*' }] }, { c: [{ image: 'b' }] }, 'fail /c/'],
  ['existence anchor absent passes', { '^(c)': [{ image: 'a*' }] }, {}, 'pass'],
  ['every list element must match', { c: [{ image: 'a*' }] }, { c: [{ image: 'a1' }, { image: 'b' }] }, 'fail /c/1/image/'],
  ['scalar pattern against list of scalars', { drop: 'ALL' }, { drop: ['ALL', 'ALL'] }, 'pass'],
  ['structure mismatch', { spec: { a: { b: 1 } } }, { spec: { a: 'str' } }, 'fail /spec/a/'],
  ['star requires presence', { spec: { a: '*' } }, { spec: {} }, 'fail /spec/'],
  ['add-if-absent anchors are ignored by validate', { spec: { '+(a)': 'x' } }, { spec: { a: 'y' } }, 'pass'],
  ['wildcard metadata key expands', { metadata: { '=(annotations)': { '=(team.io/*)': 'a | b' } } }, { metadata: { annotations: { 'team.io/x': 'a', 'team.io/y': 'c' } } }, 'fail /metadata/annotations/team.io/y/'],
  ['wildcard metadata key with no match passes under equality', { metadata: { '=(annotations)': { '=(team.io/*)': 'a' } } }, { metadata: { annotations: { other: 'z' } } }, 'pass'],
  ['missing negation key turns a plain failure into an error', { spec: { 'X(h)': 'null', a: 'x' } }, { spec: { a: 'y' } }, 'error'],
];

for (const [name, pattern, resource, expected] of treeCases) {
  test(`pattern: ${name}`, () => {
    assert.equal(outcome(pattern, resource), expected);
  });
}

test('rule results and messages for pattern and anyPattern', () => {
  const bad = pod({ containers: [{ name: 'c', image: 'nginx:latest' }] });
  const good = pod({ containers: [{ name: 'c', image: 'nginx:1.2' }] });
  const validate = { message: 'no latest', pattern: { spec: { containers: [{ image: '!*:latest' }] } } };
  assert.equal(statusOf(validate, bad), 'fail');
  assert.equal(statusOf(validate, good), 'pass');
  const any = { message: 'need tag', anyPattern: [{ spec: { containers: [{ image: '*:1.*' }] } }, { spec: { containers: [{ image: '*@sha256:*' }] } }] };
  assert.equal(statusOf(any, good), 'pass');
  assert.equal(statusOf(any, bad), 'fail');
});
