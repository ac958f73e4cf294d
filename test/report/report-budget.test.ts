import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitToBudget } from '../../src/report/report-budget.ts';
import { buildComplianceReport } from '../../src/report/build-reports.ts';
import type { PolicyResult } from '../../src/api/types.ts';

const violations = (n: number, message: string) => Array.from({ length: n }, (_, i) => ({ namespace: `team-${i % 7}`, resource: `Pod/app-${i}`, message }));

test('a report with 60 policies of 50 long violations each stays under the budget, totals intact', () => {
  const results: PolicyResult[] = Array.from({ length: 60 }, (_, i) => ({
    policyID: `policy-${i}`, status: 'violation', severity: 'high', violations: violations(50, 'x'.repeat(1000)), violationTotal: 1234,
  }));
  const report = buildComplianceReport({ specName: 's', namespace: 'kspec-system', cluster: 'c', sourceCommit: 'abc', timestamp: 't' }, results, 'engine');
  assert.ok(Buffer.byteLength(JSON.stringify(report)) < 1024 * 1024, 'well under etcd\'s 1.5 MiB');
  assert.ok(report.status!.policyResults.every((r) => r.violationTotal === 1234), 'true totals kept');
  assert.ok(report.status!.policyResults.every((r) => r.violations.length > 0), 'every policy still shows examples');
  assert.equal(report.status!.violationCount, 60 * 1234);
});

test('small reports are left as they are', () => {
  const results: PolicyResult[] = [{ policyID: 'p', status: 'violation', violations: violations(3, 'short'), violationTotal: 3 }];
  assert.deepEqual(fitToBudget(results), results);
});

test('the largest lists are trimmed first', () => {
  const results: PolicyResult[] = [
    { policyID: 'big', status: 'violation', violations: violations(40, 'y'.repeat(200)), violationTotal: 40 },
    { policyID: 'small', status: 'violation', violations: violations(2, 'y'.repeat(200)), violationTotal: 2 },
  ];
  const fitted = fitToBudget(results, 6000);
  assert.equal(fitted[1].violations.length, 2);
  assert.ok(fitted[0].violations.length < 40);
  assert.ok(Buffer.byteLength(JSON.stringify(fitted)) <= 6000);
});

test('drift events over the budget lose their unified diffs first, then long values', async () => {
  const { fitDriftToBudget } = await import('../../src/report/report-budget.ts');
  const event = (i: number) => ({ type: 'modified' as const, policyID: 'p', resourceName: `policy-${i}`, message: 'differs', detectedAt: 't', fields: [{ path: 'spec.rules', desired: 'd'.repeat(2000), live: 'l'.repeat(2000) }], diff: 'x'.repeat(5000) });
  const few = [event(1)];
  assert.deepEqual(fitDriftToBudget(few), few);
  const many = Array.from({ length: 200 }, (_, i) => event(i));
  const fitted = fitDriftToBudget(many);
  assert.ok(Buffer.byteLength(JSON.stringify(fitted)) <= 512 * 1024);
  assert.equal(fitted.length, 200, 'every event is kept');
  assert.ok(fitted.every((e) => e.diff === undefined && e.fields![0].path === 'spec.rules'));
});
