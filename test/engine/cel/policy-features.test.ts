// Autogen for Pod controllers, validate.cel rules in ClusterPolicies, params, namespaceObject
// and CEL PolicyExceptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, kindSpellings } from '../../../src/engine/index.ts';
import { compileCelException } from '../../../src/engine/cel/exceptions.ts';
import { outcome, pod, results, vpol } from './helpers.ts';

const needsTeam = vpol({ validations: [{ expression: "object.metadata.?labels.?team.orValue('') != '' && object.spec.containers.all(c, c.image.contains(':'))", message: 'team label and image tags required' }] });
const template = (labels: Record<string, string>, image: string) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image }] } });
const deployment = (labels: Record<string, string>, image: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns1' }, spec: { template: template(labels, image) } });
const cronjob = (labels: Record<string, string>, image: string) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj', namespace: 'ns1' }, spec: { jobTemplate: { spec: { template: template(labels, image) } } } });

test('autogen: a Pod ValidatingPolicy checks the pod template of controllers and CronJobs', () => {
  assert.match(outcome(needsTeam, deployment({ team: 'a' }, 'x:1')), /^pass/);
  assert.equal(outcome(needsTeam, deployment({}, 'x:1')), 'fail: team label and image tags required');
  assert.match(outcome(needsTeam, cronjob({ team: 'a' }, 'x:1')), /^pass/);
  assert.equal(outcome(needsTeam, cronjob({ team: 'a' }, 'x')), 'fail: team label and image tags required');
  assert.deepEqual(kindSpellings(compilePolicy(needsTeam)).sort(), ['apps/v1/DaemonSet', 'apps/v1/Deployment', 'apps/v1/ReplicaSet', 'apps/v1/StatefulSet', 'batch/v1/CronJob', 'batch/v1/Job', 'v1/Pod']);
});

test('autogen: object.metadata.namespace stays on the controller; controllers can be narrowed; no autogen past Pods only', () => {
  const inNamespace = vpol({ validations: [{ expression: "object.metadata.namespace != 'default'", message: 'no default' }] });
  assert.equal(outcome(inNamespace, { ...deployment({}, 'x'), metadata: { name: 'd', namespace: 'default' } }), 'fail: no default');
  const onlyDeployments = { ...needsTeam, spec: { ...(needsTeam.spec as object), autogen: { podControllers: { controllers: ['deployments'] } } } };
  assert.equal(results(onlyDeployments, cronjob({}, 'x')).length, 0);
  assert.equal(results(onlyDeployments, deployment({}, 'x')).length, 1);
  const twoKinds = vpol({ matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods', 'services'] }] }, validations: [{ expression: 'false' }] });
  assert.equal(results(twoKinds, deployment({}, 'x')).length, 0);
});

const celClusterPolicy = (rule: Record<string, unknown>, annotations: Record<string, string> = {}) => ({
  apiVersion: 'kyverno.io/v1',
  kind: 'ClusterPolicy',
  metadata: { name: 'cp', annotations },
  spec: { rules: [{ name: 'tags', match: { any: [{ resources: { kinds: ['Pod'] } }] }, ...rule }] },
});

test('validate.cel rules in a ClusterPolicy: expressions, the rule message as fallback, celPreconditions, autogen', () => {
  const policy = celClusterPolicy({
    celPreconditions: [{ name: 'not-skipped', expression: "object.metadata.?labels.?skip.orValue('') != 'true'" }],
    validate: { message: 'images need a tag', cel: { expressions: [{ expression: "object.spec.containers.all(c, c.image.contains(':'))" }, { expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))", message: 'latest is mutable' }] } },
  });
  assert.equal(outcome(policy, pod({ containers: [{ image: 'nginx' }] })), 'fail: images need a tag');
  assert.equal(outcome(policy, pod({ containers: [{ image: 'nginx:latest' }] })), 'fail: latest is mutable');
  assert.equal(outcome(policy, pod({ containers: [{ image: 'nginx:1' }] })), "pass: Validation rule 'tags' passed.");
  assert.equal(outcome(policy, pod({ containers: [{ image: 'nginx' }] }, { labels: { skip: 'true' } })), 'skip: cel preconditions not met');
  const [r] = results(policy, deployment({}, 'nginx'));
  assert.deepEqual([r.rule, r.result], ['autogen-tags', 'fail']);
  const [c] = results(policy, cronjob({}, 'nginx:2'));
  assert.deepEqual([c.rule, c.result], ['autogen-cronjob-tags', 'pass']);
  assert.deepEqual(compilePolicy(policy).unsupportedRules, []);
});

const maxReplicas = { apiVersion: 'example.io/v1', kind: 'Limits', metadata: { name: 'limits', namespace: 'ns1', labels: { tier: 'gold' } }, spec: { maxReplicas: 3 } };
const deploymentWith = (replicas: number) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns1' }, spec: { replicas } });
const replicaPolicy = (paramRef: Record<string, unknown>) => vpol({
  matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] },
  paramKind: { apiVersion: 'example.io/v1', kind: 'Limits' },
  paramRef,
  validations: [{ expression: 'object.spec.replicas <= params.spec.maxReplicas', messageExpression: "'at most ' + string(params.spec.maxReplicas) + ' replicas'" }],
});

test('paramKind / paramRef: by name or selector; parameterNotFoundAction', () => {
  const ctx = { paramResources: [maxReplicas] };
  assert.equal(outcome(replicaPolicy({ name: 'limits' }), deploymentWith(5), ctx), 'fail: at most 3 replicas');
  assert.match(outcome(replicaPolicy({ name: 'limits' }), deploymentWith(2), ctx), /^pass/);
  assert.equal(outcome(replicaPolicy({ selector: { matchLabels: { tier: 'gold' } } }), deploymentWith(5), ctx), 'fail: at most 3 replicas');
  assert.match(outcome(replicaPolicy({ name: 'missing' }), deploymentWith(5), ctx), /^error: .*no params found/);
  assert.equal(outcome(replicaPolicy({ name: 'missing', parameterNotFoundAction: 'Allow' }), deploymentWith(5), ctx), 'none');
});

test('namespaceObject: the namespace given, or one built from its labels; none for cluster-scoped objects', () => {
  const policy = vpol({ validations: [{ expression: "namespaceObject.metadata.?labels.?env.orValue('') == 'prod'", messageExpression: "'namespace ' + namespaceObject.metadata.name + ' is not prod'" }] });
  assert.match(outcome(policy, pod({}), { namespaceObjects: (ns) => (ns === 'ns1' ? { metadata: { name: 'ns1', labels: { env: 'prod' } } } : undefined) }), /^pass/);
  assert.match(outcome(policy, pod({}), { namespaceLabels: { ns1: { env: 'prod' } } }), /^pass/);
  assert.equal(outcome(policy, pod({}, { namespace: undefined })), 'fail: namespace default is not prod');
  const nsPolicy = vpol({ matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['namespaces'] }] }, validations: [{ expression: 'namespaceObject == null' }] });
  assert.match(outcome(nsPolicy, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }), /^pass/);
});

test('CEL PolicyExceptions skip the resources their matchConditions select, for the policies they name', () => {
  const exception = compileCelException({
    apiVersion: 'policies.kyverno.io/v1',
    kind: 'PolicyException',
    metadata: { name: 'allow-legacy' },
    spec: { policyRefs: [{ name: 'vp', kind: 'ValidatingPolicy' }], matchConditions: [{ name: 'legacy', expression: "object.metadata.name.startsWith('legacy-')" }] },
  });
  const ctx = { celExceptions: [exception] };
  assert.equal(outcome(needsTeam, pod({ containers: [{ image: 'x' }] }, { name: 'legacy-1' }), ctx), 'skip: rule is skipped due to policy exception allow-legacy');
  assert.match(outcome(needsTeam, pod({ containers: [{ image: 'x' }] }, { name: 'new-1' }), ctx), /^fail/);
  const other = compileCelException({ apiVersion: 'policies.kyverno.io/v1', kind: 'PolicyException', metadata: { name: 'o' }, spec: { policyRefs: [{ name: 'other', kind: 'ValidatingPolicy' }], matchConditions: [{ name: 'all', expression: 'true' }] } });
  assert.match(outcome(needsTeam, pod({ containers: [{ image: 'x' }] }), { celExceptions: [other] }), /^fail/);
});
