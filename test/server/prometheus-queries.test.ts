// The seed API's example queries, asked of a real Prometheus (Debian's prometheus package) that
// scrapes a real `kspec run`: avg(kspec_compliance_score), increase(kspec_policy_violations_total[1h])
// and rate(kspec_drift_events_total[5m]) answer what they say, and so do kspec_policy_violations
// and kspec_leader. Prometheus runs as this test's own process, on a free port, with its own
// config and data folder, so it never meets a system Prometheus on :9090.
//
// Skips (with the reason) only when the prometheus binary is absent; .ci/run installs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { startGitServer } from '../support/git-server.ts';
import { freePort, inClusterTarget, policyYaml, specYaml, startKspecRun, waitFor } from '../support/operator.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';
import type { ComplianceReport } from '../../src/api/types.ts';

const PROMETHEUS = '/usr/bin/prometheus';

function installed(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface Prometheus {
  /** An instant query's result vector, as [labels, value] pairs. */
  query(expr: string): Promise<[Record<string, string>, number][]>;
  stderr(): string;
}

/** Starts Prometheus scraping `target` (host:port) every second; stopped by pid in t.after. */
async function startPrometheus(t: { after(fn: () => void): void }, target: string): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: kspec\n    static_configs:\n      - targets: ['${target}']\n`);
  const port = await freePort();
  const child = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('prometheus to be ready', 60_000, () => fetch(`${base}/-/ready`).then((r) => r.ok, () => false), 250).catch((err: Error) => {
    throw new Error(`${err.message}\n${stderr}`);
  });
  return {
    stderr: () => stderr,
    async query(expr) {
      const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
      assert.equal(body.status, 'success', `${expr}: ${body.error}`);
      return body.data.result.map((r) => [r.metric, Number(r.value[1])]);
    },
  };
}

/** Every PromQL expression of the Grafana dashboard's panels. */
function dashboardQueries(): string[] {
  const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, '../../deploy/monitoring/grafana-dashboard.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => target.expr));
}

const single = async (p: Prometheus, expr: string): Promise<number | undefined> => (await p.query(expr))[0]?.[1];

test('the seed queries answer what they say against a real Prometheus scraping kspec run', { timeout: 240_000 }, async (t) => {
  if (!installed(PROMETHEUS)) {
    t.skip(`${PROMETHEUS} is not installed (apt-get install prometheus; .ci/run does)`);
    return;
  }
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('prom');
  const id = ns.slice(-8);
  const objects = KubernetesObjectApi.makeApiClient(cluster.kc);
  const pod = (name: string, labels: Record<string, string> = {}) =>
    objects.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] } } as KubernetesObject);
  await pod('unlabeled-1');
  await pod('labeled', { app: 'web' });

  // Two specs: `labels` is violated by the unlabeled Pod (score 0), `quiet` matches only a
  // namespace without Pods (score 100), so the average is 50.
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `specs-${id}`;
  await git.createRepo(repo, {
    'targets/local.yaml': inClusterTarget(ns),
    'specs/labels.yaml': specYaml(`labels-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`labels-${id}`, { namespace: ns }) } }),
    'specs/quiet.yaml': specYaml(`quiet-${id}`, ns, { mode: 'enforce', checks: { b: policyYaml(`quiet-${id}`, { namespace: `${ns}-empty` }) } }),
  });
  const kspec = await startKspecRun(t, ['--repo', git.repoUrl(repo), '--schedule', '0 0 1 1 *', '--cache-dir', mkdtempSync(join(tmpdir(), 'kspec-cache-'))], {
    KSPEC_KUBECONFIG: cluster.kubeconfigPath,
    KSPEC_NAMESPACE: ns,
    KSPEC_GIT_TOKEN: git.token,
    KSPEC_GIT_USERNAME: git.username,
  });
  await waitFor('kspec run to finish its first pass', 60_000, () => fetch(`${kspec.base}/readyz`).then((r) => r.ok, () => false)).catch((err: Error) => {
    throw new Error(`${err.message}\n${kspec.stderr()}`);
  });
  const prometheus = await startPrometheus(t, `127.0.0.1:${kspec.port}`);
  const ours = `{spec=~".*-${id}"}`;

  // Enough samples that increase() and rate() extrapolate over a known stretch of history.
  await waitFor('prometheus to hold ten samples of kspec', 60_000, async () => ((await single(prometheus, `min(count_over_time(kspec_compliance_score${ours}[1h]))`)) ?? 0) >= 10, 500);

  // kspec_leader: this process does the work without leader election, so it is the leader.
  assert.equal(await single(prometheus, 'kspec_leader'), 1);

  // avg(kspec_compliance_score): the mean of the ComplianceReports' scores.
  const store = new KspecStore(cluster.kc);
  const scores = await Promise.all([`labels-${id}`, `quiet-${id}`].map(async (s) => (await store.get<ComplianceReport>('ComplianceReport', ns, `${s}-local`))?.status?.complianceScore));
  assert.deepEqual(scores, [0, 100]);
  assert.equal(await single(prometheus, `avg(kspec_compliance_score${ours})`), 50);

  // kspec_policy_violations: what stands now, per policy and severity.
  assert.deepEqual(await prometheus.query(`kspec_policy_violations${ours}`).then((r) => r.map(([m, v]) => [m.spec, m.policy, m.severity, v]).sort()), [
    [`labels-${id}`, 'labels', 'high', 1],
    [`quiet-${id}`, 'labels', 'high', 0],
  ]);

  // A new violating Pod and an out-of-band deletion: the watch wakes a pass that re-creates the
  // policy (one new `missing` drift event) and finds the second violation (one new violation).
  await pod('unlabeled-2');
  await objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `labels-${id}` } });
  await waitFor('prometheus to see the second violation', 60_000, async () => (await single(prometheus, `kspec_policy_violations{spec="labels-${id}"}`)) === 2, 500).catch((err: Error) => {
    throw new Error(`${err.message}\n${kspec.stderr().split('\n').slice(-20).join('\n')}`);
  });
  await waitFor('prometheus to see the drift event', 60_000, async () => (await single(prometheus, `kspec_drift_events_total{spec="labels-${id}",type="missing"}`)) === 2, 500);

  // increase(kspec_policy_violations_total[1h]): the violations that appeared while Prometheus
  // watched: one Pod, counted once although every later pass still sees it. (Prometheus
  // extrapolates a little past the samples, so the value is rounded.)
  const appeared = await prometheus.query(`increase(kspec_policy_violations_total${ours}[1h])`);
  assert.deepEqual(appeared.map(([m, v]) => [m.spec, m.policy, m.severity, Math.round(v)]).sort(), [[`labels-${id}`, 'labels', 'high', 1], [`quiet-${id}`, 'labels', 'high', 0]]);
  // rate(kspec_drift_events_total[5m]): drift events per second, by type; only `missing` happened
  // while Prometheus watched.
  const rates = await prometheus.query(`sum by (type) (rate(kspec_drift_events_total${ours}[5m]))`);
  const missing = rates.find(([m]) => m.type === 'missing')?.[1] ?? 0;
  assert.ok(missing > 0, `rate of missing drift: ${JSON.stringify(rates)}`);
  assert.equal(Math.round(missing * 300), 1, 'one missing drift event in the window');
  // Still counted once: another pass that finds both violations standing adds nothing.
  await objects.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `labels-${id}` } });
  await waitFor('prometheus to see the next drift event', 60_000, async () => (await single(prometheus, `kspec_drift_events_total{spec="labels-${id}",type="missing"}`)) === 3, 500);
  assert.equal(await single(prometheus, `sum(kspec_policy_violations_total{spec="labels-${id}"})`), 2, 'the first Pod before Prometheus started, the second once');

  // The Grafana dashboard's queries are valid PromQL on this Prometheus (query() asserts
  // success), with its variables given values as Grafana would substitute them; the standing
  // violations table lists the two violating Pods of the one violated policy.
  for (const expr of dashboardQueries()) {
    await prometheus.query(expr.replaceAll('$cluster', '.*').replaceAll('$spec', `.*-${id}`).replaceAll('$__rate_interval', '1m'));
  }
  const standing = dashboardQueries().find((e) => e.includes('kspec_policy_violations{'))!;
  const rows = await prometheus.query(standing.replaceAll('$cluster', '.*').replaceAll('$spec', `.*-${id}`));
  assert.deepEqual(rows.map(([m, v]) => [m.spec, m.policy, v]), [[`labels-${id}`, 'labels', 2]]);
  t.diagnostic(`series seen: ${JSON.stringify(await prometheus.query(`count by (__name__) ({__name__=~"kspec_.*"})`))}`);
});
