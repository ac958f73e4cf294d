// match / exclude blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, policyWith, pod } from './helpers.ts';
import type { EvaluationContext } from '../../src/engine/index.ts';

const validate = { message: 'm', pattern: { metadata: { name: '?*' } } };
function applies(match: unknown, resource: Record<string, unknown>, exclude?: unknown, ctx?: EvaluationContext): boolean {
  const policy = policyWith({ match, ...(exclude ? { exclude } : {}), validate }, { annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } });
  return run(policy, resource, ctx).length > 0;
}

const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' }, annotations: { owner: 'team-a' } } };
const cases: Array<[string, unknown, unknown, boolean, EvaluationContext?]> = [
  ['kind', { any: [{ resources: { kinds: ['Deployment'] } }] }, undefined, true],
  ['other kind', { any: [{ resources: { kinds: ['Pod'] } }] }, undefined, false],
  ['group/version/kind', { any: [{ resources: { kinds: ['apps/v1/Deployment'] } }] }, undefined, true],
  ['group wildcard version', { any: [{ resources: { kinds: ['apps/*/Deployment'] } }] }, undefined, true],
  ['wrong group', { any: [{ resources: { kinds: ['batch/*/Deployment'] } }] }, undefined, false],
  ['version/kind', { any: [{ resources: { kinds: ['v1/Deployment', '*/Deployment'] } }] }, undefined, true],
  ['kind wildcard', { any: [{ resources: { kinds: ['Deploy*'] } }] }, undefined, true],
  ['subresource does not match the object', { any: [{ resources: { kinds: ['Deployment/scale'] } }] }, undefined, false],
  ['names wildcard', { any: [{ resources: { kinds: ['*'], names: ['w*'] } }] }, undefined, true],
  ['names mismatch', { any: [{ resources: { kinds: ['*'], names: ['api'] } }] }, undefined, false],
  ['namespaces', { any: [{ resources: { kinds: ['*'], namespaces: ['prod'] } }] }, undefined, true],
  ['namespaces mismatch', { any: [{ resources: { kinds: ['*'], namespaces: ['dev'] } }] }, undefined, false],
  ['selector', { any: [{ resources: { kinds: ['*'], selector: { matchLabels: { app: 'web' } } } }] }, undefined, true],
  ['selector expression', { any: [{ resources: { kinds: ['*'], selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } } }] }, undefined, false],
  ['annotations', { any: [{ resources: { kinds: ['*'], annotations: { owner: 'team-*' } } }] }, undefined, true],
  ['all needs every filter', { all: [{ resources: { kinds: ['Deployment'] } }, { resources: { namespaces: ['dev'] } }] }, undefined, false],
  ['any needs one filter', { any: [{ resources: { kinds: ['Pod'] } }, { resources: { kinds: ['Deployment'] } }] }, undefined, true],
  ['legacy resources block', { resources: { kinds: ['Deployment'] } }, undefined, true],
  ['exclude by namespace', { any: [{ resources: { kinds: ['Deployment'] } }] }, { any: [{ resources: { namespaces: ['prod'] } }] }, false],
  ['exclude not matching', { any: [{ resources: { kinds: ['Deployment'] } }] }, { any: [{ resources: { namespaces: ['kube-system'] } }] }, true],
  ['operations', { any: [{ resources: { kinds: ['Deployment'], operations: ['UPDATE'] } }] }, undefined, false],
  ['namespaceSelector', { any: [{ resources: { kinds: ['Deployment'], namespaceSelector: { matchLabels: { env: 'prod' } } } }] }, undefined, true, { namespaceLabels: { prod: { env: 'prod' } } }],
  ['namespaceSelector mismatch', { any: [{ resources: { kinds: ['Deployment'], namespaceSelector: { matchLabels: { env: 'dev' } } } }] }, undefined, false, { namespaceLabels: { prod: { env: 'prod' } } }],
  ['subjects', { any: [{ resources: { kinds: ['Deployment'] }, subjects: [{ kind: 'User', name: 'alice' }] }] }, undefined, true, { userInfo: { username: 'alice' } }],
  ['exclude cluster role', { any: [{ resources: { kinds: ['Deployment'] } }] }, { any: [{ clusterRoles: ['cluster-admin'] }] }, false, { clusterRoles: ['cluster-admin'] }],
];

for (const [name, match, exclude, expected, ctx] of cases) {
  test(`match: ${name}`, () => {
    assert.equal(applies(match, deploy, exclude, ctx), expected);
  });
}

test('a namespaced Policy only applies in its namespace', () => {
  const p = policyWith({ validate }, { kind: 'Policy', namespace: 'ns1' });
  assert.equal(run(p, pod({})).length, 1);
  assert.equal(run(p, pod({}, { namespace: 'other' })).length, 0);
});
