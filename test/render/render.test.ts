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
    expect: /specs\/web\.yaml:16: spec\.policies\[0\]\.checks\[0\]\.kyvernoPolicy: only kyverno\.io\/v1 ClusterPolicy or Policy may be rendered, found rbac\.authorization\.k8s\.io\/v1 ClusterRoleBinding/,
  },
  { name: 'two documents', check: `${policy}\n---\n${policy}`, expect: /exactly one Kyverno policy document, found 2/ },
  { name: 'Policy without namespace', check: policy.replace('ClusterPolicy', 'Policy'), expect: /needs metadata\.namespace/ },
  { name: 'no rules', check: 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: x}\nspec: {}', expect: /spec\.rules must list at least one rule/ },
  { name: 'broken YAML inside the check', check: 'apiVersion: kyverno.io/v1\nkind: [ClusterPolicy\n', expect: /specs\/web\.yaml:1[5-9]: .*invalid YAML/ },
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
