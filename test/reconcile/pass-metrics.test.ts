// The metrics a pass leaves, as Prometheus would scrape them from /metrics (the registry's text),
// after passes through the in-memory ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../src/server/metrics.ts';
import type { ComplianceReport } from '../../src/api/types.ts';
import { apiFaults, InMemoryManagement, InMemoryTarget } from '../support/in-memory-target.ts';
import { inMemoryPass, NAMESPACE } from '../support/in-memory-pass.ts';
import { policyYaml, specYaml } from '../support/operator.ts';

const spec = (name: string, policies: string[], remediation?: string) => ({
  [`specs/${name}.yaml`]: specYaml(name, NAMESPACE, { ...(remediation ? { remediation } : {}), checks: Object.fromEntries(policies.map((p, i) => [`c${i}`, policyYaml(p)])) }),
});

/** `name{labels} value` lines of one metric in the exposition text, labels sorted, as a map. */
async function scrape(metrics: ReturnType<typeof createMetrics>, name: string): Promise<Map<string, number>> {
  const series = new Map<string, number>();
  for (const line of (await metrics.registry.metrics()).split('\n')) {
    const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = match[2].split(',').sort().join(',');
    series.set(labels, Number(match[3]));
  }
  return series;
}

test('from the first pass, every cluster, spec and drift type has a drift series, at 0 where nothing drifted', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const metrics = createMetrics({ defaultMetrics: false });
  const files = { ...spec('baseline', ['require-app']), ...spec('extras', ['require-team']) };
  // Already in place: the first pass of this process finds no drift.
  await inMemoryPass({ files, target, management });
  await inMemoryPass({ files, target, management, metrics });

  assert.deepEqual([...await scrape(metrics, 'kspec_drift_events_total')].sort(), [
    ['cluster="local",spec="baseline",type="extra"', 0],
    ['cluster="local",spec="baseline",type="missing"', 0],
    ['cluster="local",spec="baseline",type="modified"', 0],
    ['cluster="local",spec="extras",type="extra"', 0],
    ['cluster="local",spec="extras",type="missing"', 0],
    ['cluster="local",spec="extras",type="modified"', 0],
  ]);
});

test('new drift increments the counter of its type once; drift that stands is not counted again', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const metrics = createMetrics({ defaultMetrics: false });
  const auto = spec('baseline', ['require-app', 'require-team']);
  await inMemoryPass({ files: auto, target, management, metrics });
  const missing = 'cluster="local",spec="baseline",type="missing"';
  assert.equal((await scrape(metrics, 'kspec_drift_events_total')).get(missing), 2, 'the first pass created two missing policies');

  target.policies.delete('ClusterPolicy/require-app');
  await inMemoryPass({ files: auto, target, management, metrics });
  assert.equal((await scrape(metrics, 'kspec_drift_events_total')).get(missing), 3, 'fixed drift that comes back counts again');

  const report = spec('baseline', ['require-app', 'require-team'], 'report');
  target.policies.delete('ClusterPolicy/require-team');
  await inMemoryPass({ files: report, target, management, metrics });
  await inMemoryPass({ files: report, target, management, metrics });
  assert.equal((await scrape(metrics, 'kspec_drift_events_total')).get(missing), 4, 'standing drift under remediation report counts once');
});

test('kspec_policies says how many policies are in sync and how many still differ, after kspec acted', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const metrics = createMetrics({ defaultMetrics: false });
  const files = spec('baseline', ['require-app', 'require-team', 'require-owner']);
  await inMemoryPass({ files, target, management });
  target.policies.delete('ClusterPolicy/require-app');
  target.policies.delete('ClusterPolicy/require-team');
  target.fail('create', apiFaults.refused('create ClusterPolicy/require-team'), { name: 'require-team' });
  await inMemoryPass({ files, target, management, metrics });

  assert.deepEqual([...await scrape(metrics, 'kspec_policies')].sort(), [
    ['cluster="local",spec="baseline",state="extra"', 0],
    ['cluster="local",spec="baseline",state="in_sync"', 2],
    ['cluster="local",spec="baseline",state="missing"', 1],
    ['cluster="local",spec="baseline",state="modified"', 0],
  ]);
  assert.equal((await scrape(metrics, 'kspec_pass_errors_total')).get('stage="act"'), 1);
  assert.equal((await scrape(metrics, 'kspec_spec_info')).get('cluster="local",mode="enforce",remediation="auto",spec="baseline"'), 1);
});

test('a spec removed from Git takes its gauges with it once its policies are gone', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const metrics = createMetrics({ defaultMetrics: false });
  await inMemoryPass({ files: { ...spec('baseline', ['require-app']), ...spec('extras', ['require-team']) }, target, management, metrics });
  await inMemoryPass({ files: spec('extras', ['require-team']), target, management, metrics });

  const specs = (series: Map<string, number>) => [...new Set([...series.keys()].map((labels) => /spec="([^"]+)"/.exec(labels)![1]))];
  assert.deepEqual(specs(await scrape(metrics, 'kspec_policies')), ['extras']);
  assert.deepEqual(specs(await scrape(metrics, 'kspec_spec_info')), ['extras']);
});

test('violation gauges and counters follow the resources the policies find: each violation counted once, the gauge what stands now', async () => {
  const target = new InMemoryTarget();
  const management = new InMemoryManagement();
  const metrics = createMetrics({ defaultMetrics: false });
  const pod = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'apps', labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  const files = spec('baseline', ['require-app']);
  target.resources.push(pod('web'), pod('worker'), pod('db', { app: 'db' }));
  await inMemoryPass({ files, target, management, metrics, assess: true });
  const series = 'cluster="local",policy="labels",severity="high",spec="baseline"';
  assert.equal((await scrape(metrics, 'kspec_policy_violations')).get(series), 2);
  assert.equal((await scrape(metrics, 'kspec_policy_violations_total')).get(series), 2);
  assert.equal((await scrape(metrics, 'kspec_compliance_score')).get('cluster="local",spec="baseline"'), 0);

  // web gets its label, a new Pod without one appears: one fixed, one new.
  target.resources.splice(0, target.resources.length, pod('web', { app: 'web' }), pod('worker'), pod('db', { app: 'db' }), pod('cron'));
  await inMemoryPass({ files, target, management, metrics, assess: true });
  assert.equal((await scrape(metrics, 'kspec_policy_violations')).get(series), 2);
  assert.equal((await scrape(metrics, 'kspec_policy_violations_total')).get(series), 3);

  target.resources.splice(0, target.resources.length, pod('web', { app: 'web' }), pod('worker', { app: 'worker' }), pod('db', { app: 'db' }), pod('cron', { app: 'cron' }));
  await inMemoryPass({ files, target, management, metrics, assess: true });
  assert.equal((await scrape(metrics, 'kspec_policy_violations')).get(series), 0);
  assert.equal((await scrape(metrics, 'kspec_policy_violations_total')).get(series), 3);
  assert.equal((await scrape(metrics, 'kspec_compliance_score')).get('cluster="local",spec="baseline"'), 100);
  assert.equal(management.object<ComplianceReport>('ComplianceReport', NAMESPACE, 'baseline-local')!.status!.complianceScore, 100, 'the ComplianceReport says the same');
});
