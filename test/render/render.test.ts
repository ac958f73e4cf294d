import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpecs } from '../../src/spec/load.ts';
import { renderSpec, renderSpecs } from '../../src/render/render.ts';
import { formatSpecError } from '../../src/spec/errors.ts';
import { withFailureAction } from '../../src/render/failure-action.ts';

function spec(mode: string, checkYaml: string, name = 'web'): string {
  const indented = checkYaml.trim().split('\n').map((l) => `            ${l}`).join('\n');
  return `apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata:
  name: ${name}
spec:
  targetClusterRef: {name: local}
  enforcementMode: ${mode}
  policies:
    - id: pods
      title: Pod rules
      severity: critical
      checks:
        - id: the-check
          kyvernoPolicy: |
${indented}
`;
}

const policy = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-labels
  annotations:
    team: platform
spec:
  rules:
    - name: check-labels
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        failureAction: Audit
        message: label app is required
        pattern: {metadata: {labels: {app: "?*"}}}
    - name: second
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        pattern: {metadata: {name: "?*"}}`;

function render(text: string) {
  const loaded = loadSpecs(new Map([['specs/web.yaml', text]]));
  assert.deepEqual(loaded.errors, []);
  return renderSpec(loaded.specs[0], 'abc123');
}

test('enforce mode sets Enforce on the policy and on rules that carry failureAction', () => {
  const { policies, errors } = render(spec('enforce', policy));
  assert.deepEqual(errors, []);
  const out = policies[0].object;
  assert.equal(out.spec.validationFailureAction, 'Enforce');
  const rules = out.spec.rules as { validate: Record<string, unknown> }[];
  assert.equal(rules[0].validate.failureAction, 'Enforce');
  assert.equal('failureAction' in rules[1].validate, false, 'a rule without failureAction gets none');
});

test('monitor mode sets Audit', () => {
  const out = render(spec('monitor', policy.replace('failureAction: Audit', 'failureAction: Enforce'))).policies[0].object;
  assert.equal(out.spec.validationFailureAction, 'Audit');
  assert.equal((out.spec.rules as { validate: Record<string, unknown> }[])[0].validate.failureAction, 'Audit');
});

// A policy written to block in some namespaces: overrides on the policy and on a rule.
const blocking = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: blocks-somewhere
spec:
  validationFailureAction: Enforce
  validationFailureActionOverrides:
    - {action: Enforce, namespaces: [prod]}
    - {action: audit, namespaces: [dev]}
  rules:
    - name: labels
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        failureAction: Enforce
        failureActionOverrides:
          - {action: enforce, namespaces: [payments]}
        pattern: {metadata: {labels: {app: "?*"}}}`;

test('monitor mode leaves nothing that blocks: Enforce overrides are dropped, every failure action is Audit', () => {
  const out = render(spec('monitor', blocking)).policies[0].object;
  assert.equal(out.spec.validationFailureAction, 'Audit');
  assert.deepEqual(out.spec.validationFailureActionOverrides, [{ action: 'audit', namespaces: ['dev'] }], 'audit overrides do no harm and stay');
  const rules = out.spec.rules as Record<string, Record<string, unknown>>[];
  assert.equal(rules[0].validate.failureAction, 'Audit');
  assert.equal('failureActionOverrides' in rules[0].validate, false, 'a list left empty is removed');
  assert.ok(!JSON.stringify(out.spec).toLowerCase().includes('enforce'), 'no Enforce anywhere in a monitor policy');
});

test('enforce mode keeps the author\'s overrides, which may deliberately audit some namespaces', () => {
  const out = render(spec('enforce', blocking)).policies[0].object;
  assert.equal(out.spec.validationFailureAction, 'Enforce');
  assert.equal((out.spec.validationFailureActionOverrides as unknown[]).length, 2);
  const rules = out.spec.rules as Record<string, Record<string, unknown>>[];
  assert.deepEqual(rules[0].validate.failureActionOverrides, [{ action: 'enforce', namespaces: ['payments'] }]);
});

test('an image verification rule that sets its own failure action follows the mode too', () => {
  const rules = [{ name: 'signed', verifyImages: [{ imageReferences: ['ghcr.io/acme/*'], failureAction: 'Enforce' }, { imageReferences: ['docker.io/*'] }] }];
  const images = (mode: 'monitor' | 'enforce') => (withFailureAction({ rules }, mode).rules as { verifyImages: Record<string, unknown>[] }[])[0].verifyImages;
  assert.deepEqual(images('monitor'), [{ imageReferences: ['ghcr.io/acme/*'], failureAction: 'Audit' }, { imageReferences: ['docker.io/*'] }]);
  assert.equal(images('enforce')[0].failureAction, 'Enforce');
});

test('ownership labels and provenance annotations are recorded; user annotations kept', () => {
  const out = render(spec('enforce', policy)).policies[0].object;
  assert.deepEqual(out.metadata.labels, {
    'app.kubernetes.io/managed-by': 'kspec',
    'kspec.io/check': 'the-check',
    'kspec.io/policy': 'pods',
    'kspec.io/severity': 'critical',
    'kspec.io/spec': 'web',
    'kspec.io/spec-namespace': 'kspec-system',
  });
  assert.equal(out.metadata.annotations!['kspec.io/source-commit'], 'abc123');
  assert.equal(out.metadata.annotations!['kspec.io/source-file'], 'specs/web.yaml');
  assert.equal(out.metadata.annotations!['policies.kyverno.io/severity'], 'critical');
  assert.equal(out.metadata.annotations!.team, 'platform');
});

test('output is deterministic', () => {
  assert.equal(JSON.stringify(render(spec('enforce', policy))), JSON.stringify(render(spec('enforce', policy))));
});

const rejected: { name: string; check: string; expect: RegExp }[] = [
  {
    name: 'a RoleBinding cannot be smuggled in',
    check: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: admin}\nroleRef: {kind: ClusterRole, name: cluster-admin}',
    expect: /specs\/web\.yaml:16:13: spec\.policies\[0\]\.checks\[0\]\.kyvernoPolicy: only kyverno\.io\/v1 ClusterPolicy or Policy, or policies\.kyverno\.io \(v1alpha1, v1beta1, v1\) ValidatingPolicy may be rendered, found rbac\.authorization\.k8s\.io\/v1 ClusterRoleBinding/,
  },
  { name: 'two documents', check: `${policy}\n---\n${policy}`, expect: /exactly one Kyverno policy document, found 2/ },
  { name: 'Policy without namespace', check: policy.replace('ClusterPolicy', 'Policy'), expect: /needs metadata\.namespace/ },
  { name: 'no rules', check: 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x}\nspec: {}', expect: /spec\.rules must list at least one rule/ },
  { name: 'broken YAML inside the check', check: 'apiVersion: kyverno.io/v1\nkind: [ClusterPolicy\n', expect: /specs\/web\.yaml:17:13: .*invalid YAML/ },
];

for (const c of rejected) {
  test(`rejected check: ${c.name}`, () => {
    const { policies, errors } = render(spec('enforce', c.check));
    assert.equal(policies.length, 0);
    assert.match(formatSpecError(errors[0]), c.expect);
    assert.equal(errors[0].checkId, 'the-check');
  });
}

test('two specs rendering the same policy clash: an error for each, at the check', () => {
  const loaded = loadSpecs(new Map([['specs/a.yaml', spec('enforce', policy, 'a')], ['specs/b.yaml', spec('enforce', policy, 'b')]]));
  const rendered = renderSpecs(loaded.specs, 'abc123');
  assert.deepEqual(
    [...rendered.values()].flatMap((r) => r.errors.map(formatSpecError)),
    [
      'specs/a.yaml:14: ClusterPolicy/require-labels is also rendered by kspec-system/b',
      'specs/b.yaml:14: ClusterPolicy/require-labels is also rendered by kspec-system/a',
    ],
  );
});

// Checked as the API server would check them, against deploy/kyverno-crds, at file, line and field.
const schemaRejected: { name: string; check: string; expect: RegExp }[] = [
  { name: 'a rule that is not a mapping', check: 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x}\nspec:\n  rules:\n    - just-a-string', expect: /specs\/web\.yaml:20:19: spec\.policies\[0\]\.checks\[0\]\.kyvernoPolicy spec\.rules\[0\]: must be object/ },
  { name: 'labels given as a string', check: policy.replace('  annotations:', '  labels: team=platform\n  annotations:'), expect: /kyvernoPolicy metadata\.labels: must be object/ },
  { name: 'a label value that is not a string', check: policy.replace('  annotations:', '  labels: {tier: 1}\n  annotations:'), expect: /kyvernoPolicy metadata\.labels\.tier: must be string/ },
  { name: 'a name Kubernetes rejects', check: policy.replace('name: require-labels', 'name: a..b'), expect: /specs\/web\.yaml:18:15: .*kyvernoPolicy metadata\.name: must be a lowercase DNS subdomain/ },
  { name: 'a Policy namespace Kubernetes rejects', check: policy.replace('ClusterPolicy', 'Policy').replace('  name: require-labels', '  name: require-labels\n  namespace: Not_A_Namespace'), expect: /kyvernoPolicy metadata\.namespace: must be a lowercase DNS label/ },
  { name: 'a misspelled spec field', check: policy.replace('spec:\n', 'spec:\n  backgroud: false\n'), expect: /kyvernoPolicy spec\.backgroud: unknown field \(did you mean background\?\)/ },
  { name: 'a wrong enum', check: policy.replace('failureAction: Audit', 'failureAction: Block'), expect: /kyvernoPolicy spec\.rules\[0\]\.validate\.failureAction: must be one of: Audit, Enforce/ },
  { name: 'a generate rule (by default only validate rules render)', check: 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x}\nspec:\n  rules:\n    - name: bind-admin\n      match: {any: [{resources: {kinds: [Namespace]}}]}\n      generate: {kind: ClusterRoleBinding, name: everyone-admin}', expect: /kyvernoPolicy spec\.rules\[0\]\.generate: rule "bind-admin" is a generate rule; kspec renders validate rules only \(the operator allows more with --allow-rule-types\)/ },
  { name: 'a mutate rule', check: 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x}\nspec:\n  rules:\n    - name: add-label\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      mutate: {patchStrategicMerge: {metadata: {labels: {x: y}}}}', expect: /spec\.rules\[0\]\.mutate: rule "add-label" is a mutate rule/ },
  { name: 'a rule of no type', check: 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x}\nspec:\n  rules:\n    - name: nothing\n      match: {any: [{resources: {kinds: [Pod]}}]}', expect: /rule "nothing" must have exactly one of validate, mutate, generate, verifyImages, found none/ },
];

for (const c of schemaRejected) {
  test(`rejected by schema or rules: ${c.name}`, () => {
    const { policies, errors } = render(spec('enforce', c.check));
    assert.equal(policies.length, 0);
    assert.match(errors.map(formatSpecError).join('\n'), c.expect);
  });
}

test('YAML merge keys inside a kyvernoPolicy are resolved', () => {
  const merged = 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: merged}\nspec:\n  rules:\n    - &base\n      name: a\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate: {pattern: {metadata: {name: "?*"}}}\n    - <<: *base\n      name: b';
  const { policies, errors } = render(spec('enforce', merged));
  assert.deepEqual(errors, []);
  const rules = policies[0].object.spec.rules as { name: string; match: unknown }[];
  assert.deepEqual(rules.map((r) => r.name), ['a', 'b']);
  assert.deepEqual(rules[1].match, rules[0].match);
});

test('a trailing --- after the policy is accepted', () => {
  const { policies, errors } = render(spec('enforce', `${policy}\n---`));
  assert.deepEqual(errors, []);
  assert.equal(policies.length, 1);
});

test('the operator may allow more rule types and bound the namespaces of Policies', () => {
  const generate = 'apiVersion: kyverno.io/v1\nkind: Policy\nmetadata: {name: x, namespace: team-a}\nspec:\n  rules:\n    - name: g\n      match: {any: [{resources: {kinds: [ConfigMap]}}]}\n      generate: {kind: ConfigMap, name: copy}';
  const loaded = loadSpecs(new Map([['specs/web.yaml', spec('enforce', generate)]])).specs[0];
  assert.equal(renderSpec(loaded, 'c', { allowedRuleTypes: new Set(['validate', 'generate']) }).policies.length, 1);
  const bounded = renderSpec(loaded, 'c', { allowedRuleTypes: new Set(['validate', 'generate']), policyNamespaces: ['team-b', 'apps-*'] });
  assert.equal(bounded.policies.length, 0);
  assert.match(formatSpecError(bounded.errors[0]), /kyvernoPolicy metadata\.namespace: Policies may land only in namespaces team-b, apps-\* \(--allow-policy-namespaces\), not in team-a/);
  assert.equal(renderSpec(loaded, 'c', { allowedRuleTypes: new Set(['validate', 'generate']), policyNamespaces: ['team-*'] }).policies.length, 1);
});

const validatingPolicy = `apiVersion: policies.kyverno.io/v1beta1
kind: ValidatingPolicy
metadata:
  name: no-host-network
spec:
  validationActions: [Audit, Warn]
  matchConstraints:
    resourceRules:
      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
    - expression: "!object.spec.?hostNetwork.orValue(false)"
      message: hostNetwork is not allowed`;

test('a ValidatingPolicy renders at its own API version; the mode sets validationActions', () => {
  for (const [mode, actions] of [['enforce', ['Deny']], ['monitor', ['Audit']]] as const) {
    const { policies, errors } = render(spec(mode, validatingPolicy));
    assert.deepEqual(errors, []);
    const out = policies[0].object;
    assert.deepEqual([out.apiVersion, out.kind, out.metadata.name, out.metadata.namespace], ['policies.kyverno.io/v1beta1', 'ValidatingPolicy', 'no-host-network', undefined]);
    assert.deepEqual(out.spec.validationActions, actions);
    assert.equal(out.metadata.labels!['app.kubernetes.io/managed-by'], 'kspec');
    assert.equal(out.metadata.labels!['kspec.io/check'], 'the-check');
    assert.equal('validationFailureAction' in out.spec, false, 'a ValidatingPolicy has no failure action');
  }
});

const rejectedValidatingPolicies = [
  { name: 'without validations', check: validatingPolicy.replace(/  validations:[\s\S]*/, ''), expect: /spec\.validations must list at least one validation/ },
  { name: 'without matchConstraints', check: validatingPolicy.replace(/  matchConstraints:\n.*\n.*\n/, ''), expect: /spec\.matchConstraints is required/ },
  { name: 'with a namespace', check: validatingPolicy.replace('  name: no-host-network', '  name: no-host-network\n  namespace: x'), expect: /a ValidatingPolicy is cluster-scoped/ },
  { name: 'at an unknown version', check: validatingPolicy.replace('v1beta1', 'v2'), expect: /found policies\.kyverno\.io\/v2 ValidatingPolicy/ },
];

for (const c of rejectedValidatingPolicies) {
  test(`rejected ValidatingPolicy check: ${c.name}`, () => {
    const { policies, errors } = render(spec('enforce', c.check));
    assert.equal(policies.length, 0);
    assert.match(formatSpecError(errors[0]), c.expect);
  });
}
