// kspec_policy_violations (what stands now) and kspec_policy_violations_total (what appeared)
// count from the true set of violations, not from the 50 examples a ComplianceReport keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countViolations, recordMetrics } from '../../src/reconcile/spec-metrics.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { buildComplianceReport } from '../../src/report/build-reports.ts';
import type { SpecOutcome } from '../../src/reconcile/spec-outcome.ts';
import type { PolicyResult, Violation } from '../../src/api/types.ts';
import { fingerprint } from '../../src/compliance/violation-tally.ts';

const pods = (from: number, to: number): Violation[] => Array.from({ length: to - from }, (_, i) => ({ namespace: 'apps', resource: `Pod/p${from + i}`, message: 'label app is required' }));
const ctx = { specName: 'baseline', namespace: 'kspec-system', cluster: 'prod', sourceCommit: 'abc', timestamp: '2026-01-01T00:00:00Z' };

/** An assessed pass whose `labels` policy is violated by `violations`; the report keeps 50 of them. */
function outcome(violations: Violation[], opts: { retired?: boolean } = {}): SpecOutcome {
  const result: PolicyResult = { policyID: 'labels', status: violations.length ? 'violation' : 'compliant', severity: 'high', violations: violations.slice(0, 50), violationTotal: violations.length };
  return {
    plan: { name: 'baseline', retired: opts.retired, spec: { spec: { policies: [{ id: 'labels', severity: 'high' }] } } } as SpecOutcome['plan'],
    cluster: 'prod', mode: 'enforce', remediation: 'auto', phase: 'Active', actions: [], remaining: [], inSync: 1, errors: [], notes: [],
    policyResults: [result], complianceSource: 'engine', violationFingerprints: new Map([['labels', Uint32Array.from(violations.map(fingerprint)).sort()]]),
    compliance: buildComplianceReport(ctx, [result], 'engine'),
  };
}

async function values(metrics: ReturnType<typeof createMetrics>): Promise<{ now?: number; appeared?: number }> {
  const labels = { cluster: 'prod', spec: 'baseline', policy: 'labels', severity: 'high' };
  const find = async (m: { get(): Promise<{ values: { labels: object; value: number }[] }> }) => (await m.get()).values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value;
  return { now: await find(metrics.policyViolationsNow), appeared: await find(metrics.policyViolations) };
}

test('the gauge is the true count and the counter counts each violation once, beyond the 50 examples kept', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  countViolations(outcome(pods(0, 120)), undefined, metrics);
  assert.deepEqual(await values(metrics), { now: 120, appeared: 120 });
  // The same 120 still there: nothing new. Then 2 fixed and 3 new: the counter adds 3.
  countViolations(outcome(pods(0, 120)), undefined, metrics);
  assert.deepEqual(await values(metrics), { now: 120, appeared: 120 });
  countViolations(outcome(pods(2, 123)), undefined, metrics);
  assert.deepEqual(await values(metrics), { now: 121, appeared: 123 });
  // A fixed violation that comes back counts again.
  countViolations(outcome(pods(0, 123)), undefined, metrics);
  assert.deepEqual(await values(metrics), { now: 123, appeared: 125 });
});

test('after a restart the previous report is the memory: its list where complete, its true total otherwise', async () => {
  const restarted = createMetrics({ defaultMetrics: false });
  countViolations(outcome(pods(0, 30)), outcome(pods(0, 28)).compliance, restarted);
  assert.deepEqual(await values(restarted), { now: 30, appeared: 2 }, 'a complete list: the two Pods not in it');
  const again = createMetrics({ defaultMetrics: false });
  countViolations(outcome(pods(0, 130)), outcome(pods(0, 100)).compliance, again);
  assert.deepEqual(await values(again), { now: 130, appeared: 30 }, 'a trimmed list: the growth of the true total');
});

test('a spec removed from Git takes its gauges with it', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const standing = outcome(pods(0, 3));
  countViolations(standing, undefined, metrics);
  recordMetrics(standing, metrics, 1);
  assert.match(await metrics.registry.metrics(), /kspec_compliance_score\{cluster="prod",spec="baseline"\} 0/);
  recordMetrics(outcome([], { retired: true }), metrics, 1);
  const text = await metrics.registry.metrics();
  assert.doesNotMatch(text, /kspec_compliance_score\{/);
  assert.doesNotMatch(text, /kspec_policy_violations\{/);
  assert.doesNotMatch(text, /kspec_policies\{/);
});
