import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { detectDrift } from '../../src/drift/detect.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../../src/render/desired-policy.ts';

const fixture = (name: string): KyvernoPolicy => parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));
const desired: DesiredPolicy = {
  object: fixture('base.desired.yaml'),
  specName: 'production',
  policyId: 'pod-security',
  checkId: 'run-as-non-root',
  severity: 'high',
};
const NOW = '2026-11-25T10:00:00Z';

// Pairs of desired/live fixtures: the live side as the API server and Kyverno return it.
const pairs: { live: string; drift: string[]; why: string }[] = [
  { live: 'kyverno-defaults.live.yaml', drift: [], why: 'server metadata, Kyverno defaults, status and a new source commit are not drift' },
  { live: 'legacy-autogen.live.yaml', drift: [], why: 'autogen rules in spec.rules and a lower-cased action are Kyverno\'s doing' },
  { live: 'other-managers.live.yaml', drift: [], why: 'labels, annotations and spec fields that Argo CD, Flux or a person added belong to them' },
  { live: 'failure-action-changed.live.yaml', drift: ['spec.validationFailureAction'], why: 'an out-of-band switch to Audit' },
  { live: 'pattern-edited.live.yaml', drift: ['spec.rules[0].validate.anyPattern[0].spec.securityContext.runAsNonRoot'], why: 'a weakened pattern' },
  { live: 'message-removed.live.yaml', drift: ['spec.rules[0].validate.message'], why: 'a field kspec sets was removed' },
  { live: 'label-removed.live.yaml', drift: ['metadata.labels["kspec.io/severity"]'], why: 'an ownership label was removed' },
  { live: 'rule-added.live.yaml', drift: ['spec.rules'], why: 'a rule was added out of band' },
];

for (const pair of pairs) {
  test(`drift fixture ${pair.live}: ${pair.why}`, () => {
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
    assert.match(drift.event.diff!, /^--- live\/ClusterPolicy\/require-run-as-non-root\n\+\+\+ desired\/ClusterPolicy\/require-run-as-non-root/m);
  });
}

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
