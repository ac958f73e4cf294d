// The impact of a policy change, as a pure function of the desired policy, the live one and the
// observed resources: what the engine says each resource does under each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyImpact, MAX_IMPACT_EXAMPLES } from '../../src/impact/policy-impact.ts';
import type { ObservedResources } from '../../src/impact/policy-impact.ts';
import type { KyvernoPolicy } from '../../src/render/desired-policy.ts';

const pod = (namespace: string, name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

function requireLabels(name: string, action: 'Enforce' | 'Audit', labels: string[], extra: Record<string, unknown> = {}): KyvernoPolicy {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name },
    spec: {
      validationFailureAction: action,
      rules: labels.map((label) => ({
        name: `need-${label}`,
        match: { any: [{ resources: { kinds: ['Pod'] } }] },
        validate: { message: `label ${label} is required`, pattern: { metadata: { labels: { [label]: '?*' } } }, ...extra },
      })),
    },
  };
}

const observed = (items: Record<string, unknown>[]): ObservedResources => ({ items, namespaceLabels: new Map(), problems: new Map() });

test('a new Enforce policy denies the live resources that violate it, names them, and leaves out system namespaces', () => {
  const resources = observed([pod('shop', 'web'), pod('shop', 'api'), pod('shop', 'ok', { team: 'a' }), pod('kube-system', 'dns')]);
  const [impact] = policyImpact([{ change: 'create', desired: requireLabels('team', 'Enforce', ['team']), policyID: 'labels', checkID: 'team' }], resources);
  assert.equal(impact.mode, 'enforce');
  assert.equal(impact.violating, 2);
  assert.equal(impact.wouldDeny, 2);
  assert.deepEqual(impact.examples.map((e) => `${e.namespace}/${e.name}`), ['shop/api', 'shop/web']);
  assert.match(impact.examples[0].message, /need-team: .*label team is required/);
  assert.equal(impact.noLongerReported, 0);
  assert.deepEqual([impact.policyID, impact.checkID], ['labels', 'team']);
});

test('an Audit policy only reports; a rule-level Enforce action denies only what that rule fails', () => {
  const resources = observed([pod('shop', 'none'), pod('shop', 'team-only', { team: 'a' })]);
  const [audit] = policyImpact([{ change: 'create', desired: requireLabels('audit', 'Audit', ['team']) }], resources);
  assert.deepEqual([audit.mode, audit.violating, audit.wouldDeny], ['monitor', 1, 0]);

  const mixed = requireLabels('mixed', 'Audit', ['team', 'app']);
  (mixed.spec.rules as { validate: Record<string, unknown> }[])[0].validate.failureAction = 'Enforce';
  const [impact] = policyImpact([{ change: 'create', desired: mixed }], resources);
  assert.equal(impact.mode, 'enforce');
  assert.equal(impact.violating, 2, 'both Pods lack app');
  assert.equal(impact.wouldDeny, 1, 'only the Pod without team fails the Enforce rule');
  assert.equal(impact.examples[0].name, 'none', 'denied examples come first');
});

test('switching an Audit policy to Enforce on clean resources denies nothing', () => {
  const resources = observed([pod('shop', 'a', { team: 'x' }), pod('shop', 'b', { team: 'y' })]);
  const [impact] = policyImpact([{ change: 'change', previous: requireLabels('team', 'Audit', ['team']), desired: requireLabels('team', 'Enforce', ['team']) }], resources);
  assert.deepEqual([impact.mode, impact.violating, impact.wouldDeny, impact.noLongerReported, impact.examples.length], ['enforce', 0, 0, 0, 0]);
});

test('a removed policy stops reporting what it reported; a relaxed one stops reporting only what it no longer fails', () => {
  const resources = observed([pod('shop', 'bare'), pod('shop', 'team-only', { team: 'a' }), pod('shop', 'both', { team: 'a', app: 'b' })]);
  const [removed, relaxed] = policyImpact([
    { change: 'delete', previous: requireLabels('strict', 'Enforce', ['team', 'app']) },
    { change: 'change', previous: requireLabels('strict', 'Enforce', ['team', 'app']), desired: requireLabels('strict', 'Enforce', ['team']) },
  ], resources);
  assert.deepEqual([removed.violating, removed.wouldDeny, removed.noLongerReported], [0, 0, 2]);
  assert.deepEqual(removed.noLongerReportedExamples?.map((e) => e.name), ['bare', 'team-only']);
  assert.deepEqual([relaxed.violating, relaxed.noLongerReported], [1, 1]);
  assert.deepEqual(relaxed.noLongerReportedExamples?.map((e) => e.name), ['team-only']);
});

test('examples stop at ten while the counts stay true; a policy the plan cannot evaluate says why', () => {
  const many = observed(Array.from({ length: 25 }, (_, i) => pod('shop', `p-${String(i).padStart(2, '0')}`)));
  const [impact] = policyImpact([{ change: 'create', desired: requireLabels('team', 'Enforce', ['team']) }], many);
  assert.equal(impact.violating, 25);
  assert.equal(impact.examples.length, MAX_IMPACT_EXAMPLES);

  const lookup = requireLabels('lookup', 'Enforce', ['team']);
  lookup.spec.rules = [{ ...(lookup.spec.rules as object[])[0], context: [{ name: 'cm', configMap: { name: 'x', namespace: 'y' } }] }];
  const admissionOnly = { ...requireLabels('admission', 'Enforce', ['team']), spec: { ...requireLabels('admission', 'Enforce', ['team']).spec, background: false } };
  const [a, b] = policyImpact([{ change: 'create', desired: lookup }, { change: 'create', desired: admissionOnly }], many);
  assert.equal(a.violating, 0);
  assert.match(a.notes?.join() ?? '', /reads cluster data/);
  assert.match(b.notes?.join() ?? '', /background is false/);
});
