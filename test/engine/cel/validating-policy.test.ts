// ValidatingPolicy semantics: validations and messages, matchConstraints, matchConditions,
// variables, failurePolicy, versions, compile errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy } from '../../../src/engine/index.ts';
import { outcome, pod, podRules, results, vpol } from './helpers.ts';

const noPrivileged = {
  validations: [{ expression: "object.spec.containers.all(c, !(c.?securityContext.?privileged.orValue(false)))", message: 'privileged containers are not allowed' }],
};

test('a validation that is false fails the resource with its message; true passes', () => {
  const policy = vpol(noPrivileged);
  assert.equal(outcome(policy, pod({ containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] })), 'fail: privileged containers are not allowed');
  const [r] = results(policy, pod({ containers: [{ name: 'c', image: 'x' }] }));
  assert.deepEqual([r.policy, r.rule, r.result, r.resource], ['vp', 'vp', 'pass', { apiVersion: 'v1', kind: 'Pod', namespace: 'ns1', name: 'pod1' }]);
});

test('the first failing validation decides; messageExpression and the default message', () => {
  const policy = vpol({
    validations: [
      { expression: "has(object.metadata.labels)", message: 'labels are required' },
      { expression: "object.metadata.labels.team != ''", messageExpression: "'team of ' + object.metadata.name + ' is empty'" },
      { expression: "object.metadata.labels.team != 'x'" },
    ],
  });
  assert.equal(outcome(policy, pod({}, {})), 'fail: labels are required');
  assert.equal(outcome(policy, pod({}, { labels: { team: '' } })), 'fail: team of pod1 is empty');
  assert.equal(outcome(policy, pod({}, { labels: { team: 'x' } })), 'fail: CEL expression validation failed at index 2');
  assert.match(outcome(policy, pod({}, { labels: { team: 'a' } })), /^pass/);
});

test('every API version of ValidatingPolicy is read the same way', () => {
  for (const v of ['policies.kyverno.io/v1alpha1', 'policies.kyverno.io/v1beta1', 'policies.kyverno.io/v1']) {
    assert.equal(outcome(vpol(noPrivileged, v), pod({ containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] })), 'fail: privileged containers are not allowed');
  }
});

test('matchConstraints: resources, operations, excludes, names, namespace and object selectors', () => {
  const deny = { validations: [{ expression: 'false', message: 'm' }] };
  const rule = (extra: Record<string, unknown>) => ({ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'], ...extra });
  const applies = (matchConstraints: Record<string, unknown>, resource = pod({}), ctx = {}) => results(vpol({ ...deny, matchConstraints }), resource, ctx).length > 0;
  assert.equal(applies({ resourceRules: [rule({})] }), true);
  assert.equal(applies({ resourceRules: [rule({ resources: ['services'] })] }), false);
  assert.equal(applies({ resourceRules: [rule({ operations: ['UPDATE'] })] }), false);
  assert.equal(applies({ resourceRules: [rule({ operations: ['*'] })] }, pod({}), { operation: 'DELETE' }), true);
  assert.equal(applies({ resourceRules: [rule({ apiGroups: ['apps'] })] }), false);
  assert.equal(applies({ resourceRules: [rule({ resourceNames: ['other'] })] }), false);
  assert.equal(applies({ resourceRules: [rule({})], excludeResourceRules: [rule({ resourceNames: ['pod1'] })] }), false);
  assert.equal(applies({ resourceRules: [rule({})], objectSelector: { matchLabels: { app: 'web' } } }, pod({}, { labels: { app: 'web' } })), true);
  assert.equal(applies({ resourceRules: [rule({})], objectSelector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] } }, pod({}, { labels: { app: 'web' } })), false);
  const labels = { namespaceLabels: { ns1: { env: 'prod' } } };
  assert.equal(applies({ resourceRules: [rule({})], namespaceSelector: { matchLabels: { env: 'prod' } } }, pod({}), labels), true);
  assert.equal(applies({ resourceRules: [rule({})], namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] } }, pod({}), labels), false);
  // A Namespace is selected by its own labels.
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { env: 'prod' } } };
  assert.equal(applies({ resourceRules: [{ ...rule({}), resources: ['namespaces'] }], namespaceSelector: { matchLabels: { env: 'prod' } } }, ns), true);
});

test('matchConditions: false means the policy does not apply; an error is an error result unless failurePolicy is Ignore', () => {
  const spec = { matchConditions: [{ name: 'only-web', expression: "object.metadata.?labels.?app.orValue('') == 'web'" }], validations: [{ expression: 'false', message: 'm' }] };
  assert.equal(outcome(vpol(spec), pod({})), 'none');
  assert.equal(outcome(vpol(spec), pod({}, { labels: { app: 'web' } })), 'fail: m');
  const broken = { matchConditions: [{ name: 'broken', expression: 'object.spec.nothing == 1' }], validations: [{ expression: 'false', message: 'm' }] };
  assert.match(outcome(vpol(broken), pod({})), /^error: matchCondition broken/);
  assert.equal(outcome(vpol({ ...broken, failurePolicy: 'Ignore' }), pod({})), 'none');
});

test('variables are computed on first use and may use each other', () => {
  const policy = vpol({
    variables: [
      { name: 'containers', expression: 'object.spec.containers + object.spec.?initContainers.orValue([])' },
      { name: 'names', expression: 'variables.containers.map(c, c.name)' },
      { name: 'unused', expression: 'object.spec.nothing.at.all' },
    ],
    validations: [{ expression: "!('debug' in variables.names)", messageExpression: "'containers: ' + variables.names.join(', ')" }],
  });
  assert.equal(outcome(policy, pod({ containers: [{ name: 'app' }], initContainers: [{ name: 'debug' }] })), 'fail: containers: app, debug');
  // The broken variable is never read, so it does not matter.
  assert.match(outcome(policy, pod({ containers: [{ name: 'app' }] })), /^pass/);
});

test('an expression that errors or is not a bool gives an error result', () => {
  assert.match(outcome(vpol({ validations: [{ expression: 'object.spec.replicas > 1' }] }), pod({})), /^error: .*could not be evaluated: .*replicas/);
  assert.match(outcome(vpol({ validations: [{ expression: "'yes'" }] }), pod({})), /^error: .*must evaluate to bool/);
});

test('auditAnnotations are evaluated with the validations; a broken one is an error', () => {
  assert.match(outcome(vpol({ validations: [{ expression: 'true' }], auditAnnotations: [{ key: 'k', valueExpression: "'image ' + object.spec.containers[0].image" }] }), pod({ containers: [{ image: 'x' }] })), /^pass/);
  assert.match(outcome(vpol({ validations: [{ expression: 'true' }], auditAnnotations: [{ key: 'k', valueExpression: 'object.spec.nope' }] }), pod({})), /^error/);
});

test('malformed policies are refused naming the field', () => {
  assert.throws(() => compilePolicy(vpol({ validations: [] })), /ValidatingPolicy vp: spec.validations must be a non-empty list/);
  assert.throws(() => compilePolicy(vpol({ validations: [{ expression: 'object.spec.(' }] })), /ValidatingPolicy vp: spec.validations\[0\].expression: compilation failed/);
  assert.throws(() => compilePolicy(vpol({ validations: [{ expression: 'noSuchFunction(object)' }] })), /spec.validations\[0\].expression: compilation failed: .*noSuchFunction/);
  assert.throws(() => compilePolicy(vpol({ variables: [{ expression: 'true' }], validations: [{ expression: 'true' }] })), /spec.variables\[0\].name is required/);
  assert.throws(() => compilePolicy({ ...vpol({ validations: [{ expression: 'true' }] }), spec: { validations: [{ expression: 'true' }] } }), /spec.matchConstraints is required/);
  assert.deepEqual(compilePolicy(vpol({ matchConstraints: podRules, validations: [{ expression: 'true' }] })).unsupportedRules, []);
});
