// The violations of a pass are folded as they are found: per policy the true count, a few sorted
// examples, fingerprints for the metrics, and the whole list only when write-back asks for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint, ViolationTally } from '../../src/compliance/violation-tally.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../../src/render/desired-policy.ts';
import type { PolicyDefinition } from '../../src/api/types.ts';

const object: KyvernoPolicy = { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'p' }, spec: { rules: [] } };
const desired = (policyId: string): DesiredPolicy => ({ object, specName: 'spec', policyId, checkId: 'c1', severity: 'high' });
const specPolicy = (id: string, checks: string[]): PolicyDefinition => ({ id, title: id, severity: 'high', checks: checks.map((c) => ({ id: c, kyvernoPolicy: '' })) });

test('findings of policy reports: one violation per resource, bounded, sorted, messages joined and truncated', () => {
  const tally = new ViolationTally({ examples: 1, keepAll: true });
  tally.addFindings(new Map([['x', [
    { policyId: 'x', policy: 'p', rule: 'r1', result: 'fail' as const, kind: 'Pod', name: 'b', namespace: 'n', message: 'one' },
    { policyId: 'x', policy: 'p', rule: 'r2', result: 'error' as const, kind: 'Pod', name: 'b', namespace: 'n', message: 'two' },
    { policyId: 'x', policy: 'p', rule: 'r1', result: 'fail' as const, kind: 'Pod', name: 'a', namespace: 'n', message: 'z'.repeat(5000) },
  ]]]));
  const { results, fullViolations, fingerprints } = tally.results([specPolicy('x', ['c1']), specPolicy('y', [])], [desired('x')]);
  assert.equal(results[0].violationTotal, 2);
  assert.equal(results[0].violations.length, 1);
  assert.equal(results[0].violations[0].resource, 'Pod/a');
  assert.ok(results[0].violations[0].message.length <= 1024);
  assert.equal(fullViolations!.get('x')![1].message, 'p/r1: one; p/r2: error: two');
  assert.equal(fingerprints.get('x')!.length, 2);
  assert.deepEqual([results[1].status, results[1].violationTotal, fingerprints.get('y')!.length], ['compliant', 0, 0]);
});

test('without keepAll: the true total, the smallest examples in report order, a fingerprint each, no whole list', () => {
  const tally = new ViolationTally({ examples: 3 });
  const names = Array.from({ length: 500 }, (_, i) => `pod-${String((i * 7919) % 500).padStart(3, '0')}`);
  for (const name of names) tally.violated('x', { namespace: name < 'pod-250' ? 'a' : 'b', resource: `Pod/${name}` }, ['p/r: no']);
  tally.unassessed('x', { resource: 'ClusterPolicy/p', message: 'cannot be evaluated' });
  tally.unassessed('x', { resource: 'ClusterPolicy/p', message: 'cannot be evaluated' });
  const { results, fullViolations, fingerprints } = tally.results([specPolicy('x', ['c1', 'c2'])], [desired('x')]);
  assert.equal(fullViolations, undefined);
  // The unrendered check c2 and the unassessed policy come first, then the smallest resources.
  assert.equal(results[0].violationTotal, 502);
  assert.deepEqual(results[0].violations.map((v) => `${v.namespace ?? ''}/${v.resource}`), ['/check/c2', '/ClusterPolicy/p', 'a/Pod/pod-000']);
  const prints = fingerprints.get('x')!;
  assert.equal(prints.length, 502);
  assert.ok(prints.every((h, i) => i === 0 || prints[i - 1] <= h), 'sorted');
  assert.ok(prints.includes(fingerprint({ namespace: 'b', resource: 'Pod/pod-499', message: 'p/r: no' })));
  assert.equal(new Set(prints).size, 502, 'no two of these 502 violations share a fingerprint');
});
