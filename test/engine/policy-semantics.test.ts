// applyRules: One, UPDATE requests judged against the old object, pattern self-references
// ($(...) and {{@}}) and the kinds a compiled policy matches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, evaluatePolicy, kindSpellings } from '../../src/engine/index.ts';
import { pod, policyWith, statusOf } from './helpers.ts';

const none = { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } };

function twoRules(applyRules?: string): Record<string, unknown> {
  const match = { any: [{ resources: { kinds: ['Pod'] } }] };
  return {
    apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy',
    metadata: { name: 'two', annotations: none.annotations },
    spec: {
      ...(applyRules ? { applyRules } : {}),
      rules: [
        { name: 'only-team-a', match, preconditions: { all: [{ key: '{{ request.object.metadata.labels.team }}', operator: 'Equals', value: 'a' }] }, validate: { pattern: { metadata: { labels: { tier: '?*' } } } } },
        { name: 'needs-owner', match, validate: { pattern: { metadata: { labels: { owner: '?*' } } } } },
      ],
    },
  };
}

const applyCases: Array<[string, string | undefined, Record<string, string>, string[]]> = [
  ['All runs every rule', undefined, { team: 'a', tier: 'web' }, ['only-team-a:pass', 'needs-owner:fail']],
  ['One stops after the first rule that applied (pass)', 'One', { team: 'a', tier: 'web' }, ['only-team-a:pass']],
  ['One stops after the first rule that applied (fail)', 'One', { team: 'a' }, ['only-team-a:fail']],
  ['One goes on past a skipped rule', 'One', { team: 'b' }, ['only-team-a:skip', 'needs-owner:fail']],
  ['One is case-insensitive', 'one', { team: 'a', tier: 'x' }, ['only-team-a:pass']],
];

for (const [name, applyRules, labels, expected] of applyCases) {
  test(`applyRules: ${name}`, () => {
    const results = evaluatePolicy(compilePolicy(twoRules(applyRules)), pod({}, { labels }));
    assert.deepEqual(results.map((r) => `${r.rule}:${r.result}`), expected);
  });
}

const labelled = { pattern: { metadata: { labels: { owner: '?*' } } } };
const denyBig = { deny: { conditions: { any: [{ key: '{{ request.object.spec.replicas }}', operator: 'GreaterThan', value: 5 }] } } };
const deployment = (replicas: number, labels: Record<string, string> = {}) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns1', labels }, spec: { replicas } });
const deploymentPolicy = (validate: Record<string, unknown>) => ({
  apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'dp' },
  spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Deployment'] } }] }, validate }] },
});

const updateCases: Array<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown> | null, string, string]> = [
  ['a new violation on UPDATE fails', labelled, deployment(1), deployment(1, { owner: 'x' }), 'UPDATE', 'fail'],
  ['a violation the old object already had is skipped', labelled, deployment(2), deployment(1), 'UPDATE', 'skip'],
  ['deny rules compare against the old object too', denyBig, deployment(9), deployment(8), 'UPDATE', 'skip'],
  ['deny: growing past the limit fails', denyBig, deployment(9), deployment(3), 'UPDATE', 'fail'],
  ['CREATE ignores any old object', labelled, deployment(2), deployment(1), 'CREATE', 'fail'],
  ['UPDATE without an old object fails as usual', labelled, deployment(2), null, 'UPDATE', 'fail'],
  ['a fixed resource passes', labelled, deployment(2, { owner: 'y' }), deployment(1), 'UPDATE', 'pass'],
];

for (const [name, validate, resource, oldObject, operation, expected] of updateCases) {
  test(`UPDATE: ${name}`, () => {
    const [r] = evaluatePolicy(compilePolicy(deploymentPolicy(validate)), resource, { operation: operation as 'UPDATE', oldObject });
    assert.equal(r.result, expected);
    if (expected === 'skip') assert.equal(r.message, 'skipping modified resource as validation results have not changed');
  });
}

const limitsPattern = {
  spec: { containers: [{ resources: { requests: { memory: '$(<=./../../limits/memory)' }, limits: { memory: '2Gi' } } }] },
};
const container = (request: string, limit: string) => pod({ containers: [{ name: 'c', resources: { requests: { memory: request }, limits: { memory: limit } } }] });

const referenceCases: Array<[string, Record<string, unknown>, Record<string, unknown>, string]> = [
  ['$(<=relative) bounds a value by another pattern field', { pattern: limitsPattern }, container('1Gi', '2Gi'), 'pass'],
  ['$(<=relative) fails above the referenced value', { pattern: limitsPattern }, container('3Gi', '2Gi'), 'fail'],
  ['$(relative) without operator copies the value',
    { pattern: { metadata: { labels: { app: '$(../name)', name: 'web' } } } }, pod({}, { labels: { app: 'web', name: 'web' } }), 'pass'],
  ['$(relative) through an anchored key',
    { pattern: { metadata: { '=(labels)': { app: '$(./../tier)', tier: 'db' } } } }, pod({}, { labels: { app: 'web', tier: 'db' } }), 'fail'],
  ['$(/absolute) from the pattern root',
    { pattern: { metadata: { name: 'pod1', labels: { copy: '$(/metadata/name)' } } } }, pod({}, { labels: { copy: 'pod1' } }), 'pass'],
  ['{{@}} is the resource value at that position',
    { pattern: { metadata: { labels: { env: "{{ regex_match('^(dev|prod)$', '{{@}}') && '{{@}}' || 'invalid' }}" } } } }, pod({}, { labels: { env: 'prod' } }), 'pass'],
  ['{{@}} with a value that does not fit',
    { pattern: { metadata: { labels: { env: "{{ regex_match('^(dev|prod)$', '{{@}}') && '{{@}}' || 'invalid' }}" } } } }, pod({}, { labels: { env: 'qa' } }), 'fail'],
  ['{{@}} inside a list item',
    { pattern: { spec: { containers: [{ name: '{{@}}' }] } } }, pod({ containers: [{ name: 'a' }] }), 'pass'],
];

for (const [name, validate, resource, expected] of referenceCases) {
  test(`references: ${name}`, () => assert.equal(statusOf(validate, resource), expected));
}

test('references: a reference to a missing field is a compile error', () => {
  assert.throws(() => compilePolicy(policyWith({ validate: { pattern: { spec: { x: '$(./nope)' } } } })), /does not resolve/);
});

const kindCases: Array<[string, Record<string, unknown>, string[]]> = [
  ['pod rules add their controllers and CronJob', policyWith({ validate: { pattern: { spec: {} } } }),
    ['Pod', 'DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'CronJob']],
  ['the autogen annotation narrows the controllers', policyWith({ validate: { pattern: { spec: {} } } }, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'Deployment' } }), ['Pod', 'Deployment']],
  ['autogen off', policyWith({ validate: { pattern: { spec: {} } } }, none), ['Pod']],
  ['kinds keep their spelling; unsupported rules do not count', {
    apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'k' },
    spec: { rules: [
      { name: 'a', match: { any: [{ resources: { kinds: ['networking.k8s.io/v1/Ingress'] } }, { resources: { kinds: ['Service'] } }] }, validate: { deny: {} } },
      { name: 'b', match: { resources: { kinds: ['ConfigMap'] } }, mutate: { patchStrategicMerge: {} } },
      { name: 'c', match: { all: [{ resources: { kinds: ['Service', 'Secret'] } }] }, validate: { deny: {} } },
    ] },
  }, ['networking.k8s.io/v1/Ingress', 'Service', 'Secret']],
];

for (const [name, policy, expected] of kindCases) {
  test(`kindSpellings: ${name}`, () => assert.deepEqual(kindSpellings(compilePolicy(policy)), expected));
}
