// {{ }} substitution, escaping, typed results and Kyverno's missing-key error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substituteAll, substituteString, SubstitutionError } from '../../src/engine/variables.ts';
import { pod, run, policyWith } from './helpers.ts';

const ctx = {
  request: { operation: 'CREATE', object: { metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'shop' } }, spec: { replicas: 3 } } },
  element: { name: 'c1' },
  elementIndex: 0,
};

const cases: Array<[string, unknown]> = [
  ['{{ request.object.metadata.name }}', 'web'],
  ['{{request.object.spec.replicas}}', 3],
  ['replicas={{ request.object.spec.replicas }}', 'replicas=3'],
  ['{{ request.object.metadata }}', ctx.request.object.metadata],
  ['name: {{ request.object.metadata.labels."app.kubernetes.io/name" }}', 'name: shop'],
  ['{{ element.name }}-{{ elementIndex }}', 'c1-0'],
  ['\\{{ not.a.variable }}', '{{ not.a.variable }}'],
  ['{{ to_upper(request.object.metadata.name) }}', 'WEB'],
  ["{{ request.object.metadata.labels.missing || 'none' }}", 'none'],
  ['plain text', 'plain text'],
];

for (const [input, expected] of cases) {
  test(`substitute ${input}`, () => {
    assert.deepEqual(substituteString(input, ctx), expected);
  });
}

test('missing keys raise Kyverno\'s error in strict mode and become "" in lenient mode', () => {
  assert.throws(() => substituteString('{{ request.object.metadata.namespace }}', ctx), (err: unknown) => {
    assert.ok(err instanceof SubstitutionError);
    assert.match(err.message, /Unknown key "namespace" in path/);
    return true;
  });
  assert.equal(substituteString('{{ request.object.metadata.namespace }}', ctx, 'lenient'), '');
  assert.deepEqual(substituteAll({ a: ['{{ elementIndex }}'] }, ctx), { a: [0] });
});

test('a pattern referencing a missing variable gives an error result', () => {
  const policy = policyWith({ validate: { message: 'm', pattern: { metadata: { name: '{{ request.object.metadata.labels.owner }}' } } } }, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } });
  const [r] = run(policy, pod({ containers: [] }));
  assert.equal(r.result, 'error');
  assert.match(r.message, /Unknown key "labels" in path/);
});

test('a pattern with variables compares against substituted values', () => {
  const policy = policyWith({ validate: { message: 'm', pattern: { metadata: { labels: { app: '{{ request.object.metadata.name }}' } } } } }, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } });
  assert.equal(run(policy, pod({}, { name: 'a', labels: { app: 'a' } }))[0].result, 'pass');
  assert.equal(run(policy, pod({}, { name: 'a', labels: { app: 'b' } }))[0].result, 'fail');
});
