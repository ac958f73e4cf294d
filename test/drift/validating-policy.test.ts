// Drift of ValidatingPolicies: desired/live fixture pairs, the live side as the API server (with
// Kyverno's CRD) and Kyverno return it. Without a learned server form, the kind's row of the
// normalizer table alone tells defaults from tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { detectDrift } from '../../src/drift/detect.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../../src/render/desired-policy.ts';

const fixture = (name: string): KyvernoPolicy => parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));
const desired: DesiredPolicy = { object: fixture('vpol.desired.yaml'), specName: 'production', policyId: 'pod-security', checkId: 'host-namespaces', severity: 'high' };
const NOW = '2026-11-25T10:00:00Z';

const pairs: { live: string; drift: string[]; why: string }[] = [
  { live: 'vpol-kyverno-defaults.live.yaml', drift: [], why: 'server metadata, the CRD default background.enabled, the values Kyverno uses when absent (mode, failurePolicy, matchPolicy, scope), status and a new commit' },
  { live: 'vpol-actions-audit.live.yaml', drift: ['spec.validationActions[0]'], why: 'validationActions switched from Deny to Audit out of band' },
  { live: 'vpol-expression-weakened.live.yaml', drift: ['spec.validations[0].expression'], why: 'a weakened CEL expression' },
  { live: 'vpol-match-condition-added.live.yaml', drift: ['spec.matchConditions'], why: 'a matchCondition that is never true, which silently disables the policy' },
  { live: 'vpol-failure-policy-ignore.live.yaml', drift: ['spec.failurePolicy'], why: 'a defaulted field set to something else than its default' },
];

for (const pair of pairs) {
  test(`ValidatingPolicy drift fixture ${pair.live}: ${pair.why}`, () => {
    const result = detectDrift([desired], [fixture(pair.live)], NOW);
    if (pair.drift.length === 0) {
      assert.deepEqual(result.drifts.map((d) => d.event), []);
      assert.equal(result.inSync.length, 1);
      return;
    }
    assert.equal(result.drifts.length, 1);
    const [drift] = result.drifts;
    assert.equal(drift.type, 'modified');
    assert.deepEqual(drift.event.fields!.map((f) => f.path), pair.drift);
    assert.match(drift.event.diff!, /^--- live\/ValidatingPolicy\/disallow-host-namespaces\n\+\+\+ desired\/ValidatingPolicy\/disallow-host-namespaces/m);
  });
}

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
