import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../src/server/metrics.ts';
import { countNewDrift, countViolations } from '../../src/reconcile/spec-metrics.ts';
import type { SpecOutcome } from '../../src/reconcile/spec-outcome.ts';

const compliant = [{ policyID: 'labels', status: 'compliant', severity: 'high', violations: [], violationTotal: 0 }];
const quiet = { cluster: 'prod', plan: { name: 'baseline', spec: { spec: { policies: [] } } }, actions: [], policyResults: compliant, violationFingerprints: new Map(), compliance: {} } as unknown as SpecOutcome;

test('drift and violation series exist at 0 after a first pass that found nothing', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  countNewDrift(quiet, [], metrics);
  countViolations(quiet, undefined, metrics);
  const drift = (await metrics.driftEvents.get()).values.map((v) => [v.labels.type, v.value]).sort();
  assert.deepEqual(drift, [['extra', 0], ['missing', 0], ['modified', 0]]);
  for (const v of (await metrics.driftEvents.get()).values) assert.deepEqual([v.labels.cluster, v.labels.spec], ['prod', 'baseline']);
  assert.deepEqual((await metrics.policyViolations.get()).values.map((v) => [v.labels, v.value]), [[{ cluster: 'prod', spec: 'baseline', policy: 'labels', severity: 'high' }, 0]]);
});

test('the first drift then counts from 0', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  countNewDrift(quiet, [], metrics);
  const missing = { drift: { type: 'missing' } } as unknown as SpecOutcome['actions'][number];
  countNewDrift(quiet, [missing], metrics);
  const value = (await metrics.driftEvents.get()).values.find((v) => v.labels.type === 'missing')?.value;
  assert.equal(value, 1);
});
