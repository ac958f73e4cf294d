// Operators of preconditions and deny conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyOperator, compileConditions, evaluateConditions } from '../../src/engine/conditions.ts';

const cases: Array<[string, unknown, unknown, boolean]> = [
  ['Equals', 'abc', 'abc', true],
  ['Equals', 'abc', 'a*', true],
  ['Equals', 'abc', 'x*', false],
  ['Equals', 5, 5, true],
  ['Equals', '1Gi', '1024Mi', true],
  ['Equals', '1h', '60m', true],
  ['Equals', true, true, true],
  ['Equals', { a: 1 }, { a: 1 }, true],
  ['NotEquals', 'DELETE', 'DELETE', false],
  ['NotEquals', 'CREATE', 'DELETE', true],
  ['Equal', 'x', 'x', true],
  ['In', 'b', ['a', 'b'], true],
  ['In', ['a', 'b'], ['a', 'b', 'c'], true],
  ['In', ['a', 'z'], ['a', 'b'], false],
  ['NotIn', 'z', ['a', 'b'], true],
  ['AnyIn', ['z', 'a'], ['a', 'b'], true],
  ['AnyIn', ['z'], ['a', 'b'], false],
  ['AnyIn', 'CREATE', ['CREATE', 'UPDATE'], true],
  ['AllIn', ['a', 'b'], ['a', 'b', 'c'], true],
  ['AllIn', ['a', 'x'], ['a', 'b'], false],
  ['AnyNotIn', ['a', 'x'], ['a', 'b'], true],
  ['AnyNotIn', ['a'], ['a', 'b'], false],
  ['AnyNotIn', [], ['a'], false],
  ['AnyNotIn', 'ALL', [], true],
  ['AllNotIn', ['x', 'y'], ['a'], true],
  ['AllNotIn', ['x', 'a'], ['a'], false],
  ['AnyIn', ['nginx:1'], ['nginx:*'], true],
  ['AnyNotIn', [8080], '5000-6000', true],
  ['AnyNotIn', [5500], '5000-6000', false],
  ['AnyIn', [7000], '5000!-6000', true],
  ['AnyIn', 'b', '["a","b"]', true],
  ['GreaterThan', 5, 3, true],
  ['GreaterThan', '5', 3, true],
  ['GreaterThan', '2Gi', '1Gi', true],
  ['GreaterThanOrEquals', 3, 3, true],
  ['LessThan', '500m', 1, true],
  ['LessThanOrEquals', '1.2.3', '1.2.4', true],
  ['GreaterThan', '1.10.0', '1.9.0', true],
  ['DurationGreaterThan', '2h', '90m', true],
  ['DurationLessThan', '30s', '1m', true],
  ['DurationGreaterThanOrEquals', '1h', 3600, true],
  ['DurationLessThanOrEquals', '2h', '1h', false],
  // Numbers past float precision (an RSA modulus as decimal text) compare digit for digit.
  ['Equals', '123456789012345678901234567890', '123456789012345678901234567891', false],
  ['NotEquals', '123456789012345678901234567890', '123456789012345678901234567891', true],
  ['Equals', '123456789012345678901234567890', '123456789012345678901234567890', true],
  ['Equals', '9'.repeat(400), '9'.repeat(399) + '8', false],
  ['GreaterThan', '9'.repeat(400), '9'.repeat(399) + '8', true],
  ['LessThan', '100000000000000000001', '100000000000000000002', true],
  ['Equals', '1.0000000000000000001Ki', '1024.0000000000000001024', true],
];

for (const [op, key, value, expected] of cases) {
  test(`condition ${JSON.stringify(key)} ${op} ${JSON.stringify(value)} -> ${expected}`, () => {
    assert.equal(applyOperator(op.toLowerCase(), key, value), expected);
  });
}

test('any/all blocks, legacy lists and unresolvable variables', () => {
  const ctx = { request: { operation: 'CREATE', object: { metadata: { labels: { app: 'web' } } } } };
  const all = compileConditions({ all: [{ key: '{{ request.operation }}', operator: 'Equals', value: 'CREATE' }, { key: '{{ request.object.metadata.labels.app }}', operator: 'Equals', value: 'web' }] }, 't');
  assert.equal(evaluateConditions(all, ctx).passed, true);
  const any = compileConditions({ any: [{ key: 'a', operator: 'Equals', value: 'b' }, { key: 'a', operator: 'Equals', value: 'a' }] }, 't');
  assert.equal(evaluateConditions(any, ctx).passed, true);
  const legacy = compileConditions([{ key: '{{ request.operation }}', operator: 'In', value: ['UPDATE'] }], 't');
  assert.equal(evaluateConditions(legacy, ctx).passed, false);
  // A missing key resolves to "" inside conditions instead of failing the rule.
  const missing = compileConditions({ all: [{ key: '{{ request.object.metadata.labels.team }}', operator: 'Equals', value: '' }] }, 't');
  assert.equal(evaluateConditions(missing, ctx).passed, true);
  const withMsg = compileConditions({ all: [{ key: 'a', operator: 'Equals', value: 'b', message: 'a is not b' }] }, 't');
  assert.deepEqual(evaluateConditions(withMsg, ctx), { passed: false, message: 'a is not b' });
  assert.throws(() => compileConditions({ all: [{ key: 'a', operator: 'Bogus', value: 'b' }] }, 't'), /unknown condition operator/);
});
