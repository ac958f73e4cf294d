// `kspec test` on Kyverno CLI tests of CEL policies: isValidatingPolicy results, autogen
// results for controllers, namespaces from the values file, paramResources and exceptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runKyvernoTests } from '../../../src/engine/kyverno-test.ts';

const files: Record<string, string> = {
  'policy.yaml': `apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata: {name: no-default-namespace}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "namespaceObject.metadata.?labels.?env.orValue('') != 'default' && object.spec.containers.all(c, c.image.contains(':'))"
    message: not in the default environment, and tagged images
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: max-replicas}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  paramKind: {apiVersion: example.io/v1, kind: Limits}
  paramRef: {name: limits, parameterNotFoundAction: Deny}
  validations:
  - expression: "object.spec.?replicas.orValue(1) <= params.spec.maxReplicas"
`,
  'resources.yaml': `apiVersion: v1
kind: Pod
metadata: {name: good, namespace: team}
spec: {containers: [{name: c, image: "nginx:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: in-default, namespace: sandbox}
spec: {containers: [{name: c, image: "nginx:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: legacy-app, namespace: sandbox}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: untagged, namespace: team}
spec: {replicas: 5, template: {spec: {containers: [{name: c, image: nginx}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: small, namespace: team}
spec: {replicas: 2, template: {spec: {containers: [{name: c, image: "nginx:1"}]}}}
`,
  'params.yaml': `apiVersion: example.io/v1
kind: Limits
metadata: {name: limits, namespace: team}
spec: {maxReplicas: 3}
`,
  'exceptions.yaml': `apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: legacy}
spec:
  policyRefs: [{name: no-default-namespace, kind: ValidatingPolicy}]
  matchConditions: [{name: legacy, expression: "object.metadata.name.startsWith('legacy-')"}]
`,
  'values.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Value
namespaces:
- {apiVersion: v1, kind: Namespace, metadata: {name: sandbox, labels: {env: default}}}
- {apiVersion: v1, kind: Namespace, metadata: {name: team, labels: {env: prod}}}
`,
  'kyverno-test.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: cel}
policies: [policy.yaml]
resources: [resources.yaml]
paramResources: [params.yaml]
exceptions: [exceptions.yaml]
variables: values.yaml
results:
- {isValidatingPolicy: true, policy: no-default-namespace, kind: Pod, resources: [good], result: pass}
- {isValidatingPolicy: true, policy: no-default-namespace, kind: Pod, resources: [in-default], result: fail}
- {isValidatingPolicy: true, policy: no-default-namespace, kind: Pod, resources: [legacy-app], result: skip}
- {isValidatingPolicy: true, policy: no-default-namespace, kind: Deployment, resources: [untagged], result: fail}
- {isValidatingPolicy: true, policy: no-default-namespace, kind: Deployment, resources: [small], result: pass}
- {isValidatingPolicy: true, policy: max-replicas, kind: Deployment, resources: [untagged], result: fail}
- {isValidatingPolicy: true, policy: max-replicas, kind: Deployment, resources: [small], result: pass}
- {isValidatingPolicy: true, policy: max-replicas, kind: Deployment, resources: [small], result: fail}
`,
};

test('a Kyverno CLI test of ValidatingPolicies runs with namespaces, params and exceptions', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kspec-cel-test-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const report = await runKyvernoTests(dir);
    const [file] = report.files;
    assert.deepEqual(file.errors, []);
    // The last expected result is deliberately wrong: it is reported, with what the engine said.
    assert.deepEqual([report.passed, report.failed, report.skipped], [7, 1, 0]);
    assert.deepEqual(file.mismatches.map((m) => [m.expected.policy, m.expected.resource, m.expected.result, m.got]), [['max-replicas', 'small', 'fail', 'pass']]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const withContext: Record<string, string> = {
  'policy.yaml': `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: approved-registries}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  variables:
  - {name: approved, expression: "resource.Get('v1', 'configmaps', 'platform', 'registries').data.allowed.split(',')"}
  - {name: quotas, expression: "resource.List('v1', 'resourcequotas', object.metadata.namespace).items"}
  validations:
  - expression: "object.spec.containers.all(c, variables.approved.exists(r, c.image.startsWith(r + '/')))"
    message: images come from an approved registry
  - expression: "size(variables.quotas) > 0"
    message: the namespace has a ResourceQuota
`,
  'resources.yaml': `apiVersion: v1
kind: Pod
metadata: {name: approved, namespace: team}
spec: {containers: [{name: c, image: "registry.example.com/app:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: elsewhere, namespace: team}
spec: {containers: [{name: c, image: "docker.io/app:1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: no-quota}
spec: {containers: [{name: c, image: "registry.example.com/app:1"}]}
`,
  'context.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Context
spec:
  resources:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: registries, namespace: platform}, data: {allowed: "registry.example.com,mirror.example.com"}}
  - {apiVersion: v1, kind: ResourceQuota, metadata: {name: q, namespace: team}, spec: {hard: {pods: "10"}}}
`,
  'kyverno-test.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
policies: [policy.yaml]
resources: [resources.yaml]
context: context.yaml
results:
- {isValidatingPolicy: true, policy: approved-registries, kind: Pod, resources: [team/approved], result: pass}
- {isValidatingPolicy: true, policy: approved-registries, kind: Pod, resources: [team/elsewhere], result: fail}
- {isValidatingPolicy: true, policy: approved-registries, kind: Pod, resources: [default/no-quota], result: fail}
`,
};

test("the test's Context file stands in for the cluster: resource.Get and resource.List read its objects", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kspec-cel-context-'));
  try {
    for (const [name, text] of Object.entries(withContext)) await writeFile(join(dir, name), text);
    const report = await runKyvernoTests(dir);
    const [file] = report.files;
    assert.deepEqual(file.errors, []);
    assert.deepEqual(file.mismatches, []);
    assert.deepEqual([report.passed, report.failed, report.skipped], [3, 0, 0]);

    // Without the Context file the lookups have nothing to read: an error result, saying why.
    await writeFile(join(dir, 'kyverno-test.yaml'), withContext['kyverno-test.yaml'].replace('context: context.yaml\n', ''));
    const bare = await runKyvernoTests(dir);
    assert.deepEqual(bare.files[0].mismatches.map((m) => m.got), ['error', 'error', 'error']);
    assert.match(bare.files[0].mismatches[0].message ?? '', /resource\.Get and resource\.List need access to a cluster/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
