// The public engine API: results, messages, compile errors, context entries and resolvers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, evaluatePolicy, evaluatePolicyAsync } from '../../src/engine/index.ts';
import { pod, policyWith } from './helpers.ts';
import { collectGarbage } from '../../src/util/collect-garbage.ts';

const none = { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } };

test('result shape and Kyverno messages', () => {
  const compiled = compilePolicy(policyWith({ validate: { message: 'Images need a tag', pattern: { spec: { containers: [{ image: '*:*' }] } } } }, none));
  const [fail] = evaluatePolicy(compiled, pod({ containers: [{ name: 'c', image: 'nginx' }] }));
  assert.deepEqual(fail, {
    policy: 'p',
    rule: 'r',
    resource: { apiVersion: 'v1', kind: 'Pod', namespace: 'ns1', name: 'pod1' },
    result: 'fail',
    message: 'validation error: Images need a tag. rule r failed at path /spec/containers/0/image/',
  });
  const [pass] = evaluatePolicy(compiled, pod({ containers: [{ name: 'c', image: 'nginx:1' }] }));
  assert.equal(pass.message, "validation rule 'r' passed.");
});

test('deny message substitutes variables; preconditions skip', () => {
  const compiled = compilePolicy(policyWith({
    preconditions: { all: [{ key: "{{ request.operation || 'BACKGROUND' }}", operator: 'AnyIn', value: ['CREATE', 'UPDATE'] }] },
    validate: { message: '{{ request.object.metadata.name }} is denied', deny: {} },
  }, none));
  assert.deepEqual(evaluatePolicy(compiled, pod({})).map((r) => [r.result, r.message]), [['fail', 'pod1 is denied']]);
  assert.deepEqual(evaluatePolicy(compiled, pod({}), { operation: 'DELETE' }).map((r) => [r.result, r.message]), [['skip', 'preconditions not met']]);
});

test('scored=false turns failures into warnings', () => {
  const compiled = compilePolicy(policyWith({ validate: { message: 'm', deny: {} } }, { annotations: { 'policies.kyverno.io/scored': 'false', 'pod-policies.kyverno.io/autogen-controllers': 'none' } }));
  assert.equal(evaluatePolicy(compiled, pod({}))[0].result, 'warn');
});

test('malformed policies throw clear errors', () => {
  assert.throws(() => compilePolicy(null), /policy must be an object/);
  assert.throws(() => compilePolicy({ kind: 'Deployment' }), /unsupported policy kind/);
  assert.throws(() => compilePolicy({ kind: 'ClusterPolicy', metadata: { name: 'x' }, spec: {} }), /spec.rules/);
  assert.throws(() => compilePolicy(policyWith({ validate: { message: 'm' } })), /validate needs one of/);
  assert.throws(() => compilePolicy(policyWith({ validate: { deny: { conditions: { all: [{ key: 1, operator: 'Nope', value: 1 }] } } } })), /unknown condition operator/);
});

test('mutate-only rules are ignored, not evaluated', () => {
  const p = policyWith({ mutate: { patchStrategicMerge: {} } });
  const compiled = compilePolicy(p);
  assert.deepEqual(compiled.unsupportedRules, ['r']);
  assert.deepEqual(evaluatePolicy(compiled, pod({})), []);
});

test('context variables, values and synchronous resolvers', () => {
  const p = policyWith({
    context: [
      { name: 'allowed', variable: { value: ['a', 'b'] } },
      { name: 'team', configMap: { name: 'teams', namespace: 'config' } },
    ],
    validate: {
      message: 'label {{ request.object.metadata.labels.tier }} not allowed for {{ team.data.name }}',
      deny: { conditions: { all: [{ key: '{{ request.object.metadata.labels.tier }}', operator: 'AnyNotIn', value: '{{ allowed }}' }] } },
    },
  }, none);
  const compiled = compilePolicy(p);
  const resolvers = { configMap: (ns: string, name: string) => ({ data: { name: `${ns}/${name}` } }) };
  const [r] = evaluatePolicy(compiled, pod({}, { labels: { tier: 'c' } }), { resolvers });
  assert.equal(r.result, 'fail');
  assert.equal(r.message, 'label c not allowed for config/teams');
  assert.equal(evaluatePolicy(compiled, pod({}, { labels: { tier: 'a' } }), { resolvers })[0].result, 'pass');
  // Without a resolver the rule errors; values can stand in for the entry (as in the Kyverno CLI).
  assert.equal(evaluatePolicy(compiled, pod({}, { labels: { tier: 'a' } }))[0].result, 'error');
  assert.equal(evaluatePolicy(compiled, pod({}, { labels: { tier: 'a' } }), { variables: { team: { data: { name: 'x' } } } })[0].result, 'pass');
});

test('asynchronous apiCall resolver', async () => {
  const p = policyWith({
    context: [{ name: 'count', apiCall: { urlPath: '/api/v1/namespaces/{{ request.object.metadata.namespace }}/pods', jmesPath: 'items | length(@)' } }],
    validate: { message: 'too many pods: {{ count }}', deny: { conditions: { all: [{ key: '{{ count }}', operator: 'GreaterThan', value: 1 }] } } },
  }, none);
  const compiled = compilePolicy(p);
  const calls: string[] = [];
  const resolvers = { apiCall: async (req: { urlPath?: string }) => { calls.push(req.urlPath ?? ''); return { items: [1, 2, 3] }; } };
  const [r] = await evaluatePolicyAsync(compiled, pod({}), { resolvers });
  assert.equal(r.result, 'fail');
  assert.equal(r.message, 'too many pods: 3');
  assert.deepEqual(calls, ['/api/v1/namespaces/ns1/pods']);
  const [syncR] = evaluatePolicy(compiled, pod({}), { resolvers });
  assert.equal(syncR.result, 'error');
});

test('images and serviceAccountName variables', () => {
  const p = policyWith({
    validate: { message: 'registry {{ images.containers.c.registry }}', deny: { conditions: { any: [{ key: '{{ images.containers.*.registry }}', operator: 'AnyNotIn', value: ['ghcr.io'] }] } } },
  }, none);
  const compiled = compilePolicy(p);
  assert.equal(evaluatePolicy(compiled, pod({ containers: [{ name: 'c', image: 'ghcr.io/a/b:1' }] }))[0].result, 'pass');
  const [r] = evaluatePolicy(compiled, pod({ containers: [{ name: 'c', image: 'nginx' }] }));
  assert.deepEqual([r.result, r.message], ['fail', 'registry docker.io']);
  const sa = compilePolicy(policyWith({ validate: { message: '{{ serviceAccountName }}', deny: {} } }, none));
  assert.equal(evaluatePolicy(sa, pod({}), { userInfo: { username: 'system:serviceaccount:ns1:builder' } })[0].message, 'builder');
});

test('a resource that outlives its evaluation context does not keep that context alive', async () => {
  // kspec run keeps resources across passes in its watched lists; an evaluation context carries
  // a pass's lookups (namespace labels, policy tallies) and must be collectable after the pass.
  const compiled = compilePolicy(policyWith({ validate: { message: 'Images need a tag', pattern: { spec: { containers: [{ image: '*:*' }] } } } }, none));
  const kept = pod({ containers: [{ name: 'c', image: 'nginx' }] });
  const contexts = (() => {
    const ectx = { namespaceLabels: () => ({ team: 'a' }) };
    assert.equal(evaluatePolicy(compiled, kept, ectx)[0].result, 'fail');
    return new WeakRef(ectx);
  })();
  await new Promise((resolve) => setImmediate(resolve));
  await collectGarbage();
  assert.equal(contexts.deref(), undefined, 'the evaluation context was collected while the resource lives on');
  assert.equal(evaluatePolicy(compiled, kept)[0].result, 'fail');
});
