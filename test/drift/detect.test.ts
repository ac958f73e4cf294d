import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectDrift } from '../../src/drift/detect.ts';
import { fixture, testFixturePairs, type FixturePair } from './fixture-pairs.ts';
import type { DesiredPolicy } from '../../src/render/desired-policy.ts';

const desiredPolicy = (file: string, checkId: string): DesiredPolicy => ({ object: fixture(file), specName: 'production', policyId: 'pod-security', checkId, severity: 'high' });
const desired = desiredPolicy('base.desired.yaml', 'run-as-non-root');
const twoRules = desiredPolicy('two-rules.desired.yaml', 'host-access');
const NOW = '2026-11-25T10:00:00Z';

// Pairs of desired/live fixtures: the live side as the API server and Kyverno return it, after
// an out-of-band edit (drift) or without one (harmless differences). Without a learned server
// form, as when the dry run is impossible: the normalizer table alone must tell them apart.
const pairs: FixturePair[] = [
  // Harmless: not drift.
  { live: 'kyverno-defaults.live.yaml', drift: [], why: 'server metadata, the defaults of Kyverno 1.13\'s CRD, status and a new source commit are not drift' },
  { live: 'legacy-autogen.live.yaml', drift: [], why: 'autogen rules in spec.rules and a lower-cased action are what Kyverno up to 1.7 writes' },
  { live: 'other-managers.live.yaml', drift: [], why: 'Flux\'s and others\' labels and annotations, and spec fields set to the value Kyverno uses when absent' },
  { live: 'argocd-tracking.live.yaml', drift: [], why: 'Argo CD tracking labels and annotations, its sync options, last-applied-configuration and managedFields' },
  // Tampering: drift, with the path of what changed.
  { live: 'match-narrowed.live.yaml', drift: ['spec.rules[0].match.any[0].resources.namespaces'], why: 'match narrowed to a namespace that does not exist: a field only live has' },
  { live: 'exclude-added.live.yaml', drift: ['spec.rules[0].exclude'], why: 'an exclude for kube-system added out of band' },
  { live: 'match-narrowed-exclude-added.live.yaml', drift: ['spec.rules[0].match.any[0].resources.namespaces', 'spec.rules[0].exclude'], why: 'the edit of issue 14: narrowed match plus added exclude, which silently disables the policy' },
  { live: 'precondition-added.live.yaml', drift: ['spec.rules[0].preconditions'], why: 'a precondition that is never true' },
  { live: 'rule-failure-action-added.live.yaml', drift: ['spec.rules[0].validate.failureAction'], why: 'a rule-level failureAction: Audit overrides the policy\'s Enforce' },
  { live: 'failure-policy-ignore.live.yaml', drift: ['spec.failurePolicy'], why: 'a defaulted field set to a value other than its default: Ignore lets everything through when Kyverno is down' },
  { live: 'failure-action-changed.live.yaml', drift: ['spec.validationFailureAction'], why: 'an out-of-band switch to Audit' },
  { live: 'pattern-edited.live.yaml', drift: ['spec.rules[0].validate.anyPattern[0].spec.securityContext.runAsNonRoot'], why: 'a weakened pattern' },
  { live: 'message-removed.live.yaml', drift: ['spec.rules[0].validate.message'], why: 'a field kspec sets was removed' },
  { live: 'label-removed.live.yaml', drift: ['metadata.labels["kspec.io/severity"]'], why: 'an ownership label was removed' },
  { live: 'rule-added.live.yaml', drift: ['spec.rules'], why: 'a rule was added out of band' },
  { live: 'rules-reordered.live.yaml', desired: twoRules, drift: ['spec.rules[0]', 'spec.rules[1]'], why: 'rules reordered: each place holds another rule' },
];

testFixturePairs('drift fixture', desired, pairs);

test('a modified field reports old and new values and a unified diff', () => {
  const [drift] = detectDrift([desired], [fixture('failure-action-changed.live.yaml')], NOW).drifts;
  assert.deepEqual(drift.event.fields, [{ path: 'spec.validationFailureAction', desired: '"Enforce"', live: '"Audit"' }]);
  assert.match(drift.event.diff!, /^-  validationFailureAction: Audit$/m);
  assert.match(drift.event.diff!, /^\+  validationFailureAction: Enforce$/m);
  assert.equal(drift.event.policyID, 'pod-security');
  assert.equal(drift.event.resourceName, 'require-run-as-non-root');
});

test('missing and extra', () => {
  const stray = fixture('kyverno-defaults.live.yaml');
  stray.metadata.name = 'stray';
  const result = detectDrift([desired], [stray], NOW);
  assert.deepEqual(result.drifts.map((d) => [d.type, d.event.resourceName]), [['missing', 'require-run-as-non-root'], ['extra', 'stray']]);
  assert.equal(result.drifts[1].event.policyID, 'pod-security', 'extra keeps the policy id from its labels');
});

test('the diff of a disabled policy shows the added exclude and narrowed match, and none of Kyverno\'s defaults', () => {
  const [drift] = detectDrift([desired], [fixture('match-narrowed-exclude-added.live.yaml')], NOW).drifts;
  assert.match(drift.event.diff!, /^-\s+namespaces:\n-\s+- does-not-exist$/m);
  assert.match(drift.event.diff!, /^-\s+exclude:\n-\s+any:\n-\s+- resources:\n-\s+namespaces:\n-\s+- kube-system$/m);
  assert.doesNotMatch(drift.event.diff!, /admission|skipBackgroundRequests|allowExistingViolations|emitWarning/);
  assert.deepEqual(drift.event.fields![1], { path: 'spec.rules[0].exclude', live: '{"any":[{"resources":{"namespaces":["kube-system"]}}]}' });
});

test('with the server form learned, live is compared with it: a field the server prunes is not drift, tampering still is', () => {
  // A field this cluster's Kyverno CRD does not know: the API server prunes it, so the stored
  // form lacks it, and so does every live copy.
  const withFutureField: DesiredPolicy = { ...desired, object: { ...desired.object, spec: { ...desired.object.spec, futureSwitch: true } } };
  const live = fixture('kyverno-defaults.live.yaml');
  assert.deepEqual(detectDrift([withFutureField], [live], NOW).drifts[0]?.event.fields, [{ path: 'spec.futureSwitch', desired: 'true' }], 'without the server form it looks missing');
  const stored = new Map([['ClusterPolicy/require-run-as-non-root', structuredClone(live.spec)]]);
  assert.equal(detectDrift([withFutureField], [live], NOW, stored).inSync.length, 1);
  const tampered = fixture('match-narrowed-exclude-added.live.yaml');
  const [drift] = detectDrift([withFutureField], [tampered], NOW, stored).drifts;
  // This stored form holds the empty exclude of that Kyverno release: the change is inside it.
  assert.deepEqual(drift.event.fields!.map((f) => f.path), ['spec.rules[0].match.any[0].resources.namespaces', 'spec.rules[0].exclude.any']);
  assert.equal(drift.type === 'modified' && drift.storedSpec, stored.get('ClusterPolicy/require-run-as-non-root'), 'the drift carries the form it was compared with');
});
