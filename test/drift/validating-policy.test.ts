// Drift of ValidatingPolicies: desired/live fixture pairs, the live side as the API server (with
// Kyverno's CRD) and Kyverno return it. Without a learned server form, the kind's row of the
// normalizer table alone tells defaults from tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectDrift } from '../../src/drift/detect.ts';
import { fixture, testFixturePairs, type FixturePair } from './fixture-pairs.ts';
import type { DesiredPolicy } from '../../src/render/desired-policy.ts';

const desired: DesiredPolicy = { object: fixture('vpol.desired.yaml'), specName: 'production', policyId: 'pod-security', checkId: 'host-namespaces', severity: 'high' };
const NOW = '2026-11-25T10:00:00Z';

const pairs: FixturePair[] = [
  { live: 'vpol-kyverno-defaults.live.yaml', drift: [], why: 'server metadata, the CRD default background.enabled, the values Kyverno uses when absent (mode, failurePolicy, matchPolicy, scope), status and a new commit' },
  { live: 'vpol-actions-audit.live.yaml', drift: ['spec.validationActions[0]'], why: 'validationActions switched from Deny to Audit out of band' },
  { live: 'vpol-expression-weakened.live.yaml', drift: ['spec.validations[0].expression'], why: 'a weakened CEL expression' },
  { live: 'vpol-match-condition-added.live.yaml', drift: ['spec.matchConditions'], why: 'a matchCondition that is never true, which silently disables the policy' },
  { live: 'vpol-failure-policy-ignore.live.yaml', drift: ['spec.failurePolicy'], why: 'a defaulted field set to something else than its default' },
];

testFixturePairs('ValidatingPolicy drift fixture', desired, pairs);

test('a ValidatingPolicy listed at another API version than the one written is the same policy', () => {
  const live = fixture('vpol-kyverno-defaults.live.yaml');
  live.apiVersion = 'policies.kyverno.io/v1alpha1';
  assert.deepEqual(detectDrift([desired], [live], NOW).drifts, []);
});

test('a ValidatingPolicy and a ClusterPolicy of the same name are different policies', () => {
  const clusterPolicy = { ...fixture('vpol-kyverno-defaults.live.yaml'), apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy' as const };
  const result = detectDrift([desired], [clusterPolicy], NOW);
  assert.deepEqual(result.drifts.map((d) => [d.type, d.event.resourceKind, d.event.resourceName]), [['missing', 'ValidatingPolicy', 'disallow-host-namespaces'], ['extra', 'ClusterPolicy', 'disallow-host-namespaces']]);
});
