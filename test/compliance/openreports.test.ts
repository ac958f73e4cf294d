// The openreports.io/v1alpha1 path of the compliance reader against the real control plane, whose
// openreports.io CRDs come from deploy/kyverno-crds: Kyverno-shaped Report and ClusterReport
// objects (per-resource reports, the resource in `scope`, results without `resources`, as Kyverno
// writes them with --openreportsEnabled) are read in `policyReports` and `auto` mode, filtered to
// the rendered policies, checked for freshness, and merged with wgpolicyk8s.io reports: per policy,
// rule and resource the newest result wins, whichever API it is in; on equal times openreports.io.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster, uniqueName } from '../support/cluster.ts';
import type { TestCluster } from '../support/cluster.ts';
import { assessCompliance } from '../../src/compliance/assess.ts';
import { TargetObservation } from '../../src/cluster/target-observation.ts';
import { readPolicyReports } from '../../src/compliance/policy-reports.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../../src/render/desired-policy.ts';
import type { PolicyDefinition } from '../../src/api/types.ts';
import { Discovery } from '../../src/cluster/discovery.ts';
import { kubeRequest, KubeHttpError } from '../../scripts/lib/kube-http.ts';
import { serverSideApply } from '../../scripts/lib/kube-setup.ts';

const RULE = 'require-team';

/** A label rule on Pods (or another kind) of one namespace only, so other tests' objects never match. */
function labelPolicy(kind: 'ClusterPolicy' | 'Policy', name: string, ns: string, match: Record<string, unknown> = { kinds: ['Pod'], namespaces: [ns] }): KyvernoPolicy {
  return {
    apiVersion: 'kyverno.io/v1',
    kind,
    metadata: { name, ...(kind === 'Policy' ? { namespace: ns } : {}) },
    spec: {
      validationFailureAction: 'Audit',
      background: true,
      rules: [{
        name: RULE,
        match: { any: [{ resources: match }] },
        validate: { message: 'label team is required', pattern: { metadata: { labels: { team: '?*' } } } },
      }],
    },
  };
}

const desired = (object: KyvernoPolicy, policyId: string): DesiredPolicy => ({ object, specName: 'spec', policyId, checkId: 'c1', severity: 'high' });
const specPolicy = (id: string): PolicyDefinition => ({ id, title: id, severity: 'high', checks: [{ id: 'c1', kyvernoPolicy: '' }] });

/** The name Kyverno gives a policy in report results: `<namespace>/<name>` for a namespaced Policy. */
const reportName = (p: KyvernoPolicy) => (p.kind === 'Policy' ? `${p.metadata.namespace}/${p.metadata.name}` : p.metadata.name);

interface Ref {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

interface ResultSpec {
  policy: string;
  result: 'pass' | 'fail' | 'warn' | 'error' | 'skip';
  at?: Date;
  message?: string;
  rule?: string;
  /** The result's own source; `kyverno` when not given, none when false. */
  source?: string | false;
  resources?: Ref[];
}

const podRef = (ns: string, name: string): Ref => ({ apiVersion: 'v1', kind: 'Pod', name, namespace: ns, uid: `uid-${ns}-${name}` });

const timestamp = (at: Date) => ({ seconds: Math.floor(at.getTime() / 1000), nanos: 0 });

/**
 * An openreports.io Report (namespaced when `ns` is given) or ClusterReport, shaped as Kyverno
 * writes them: one report per resource, the resource in `scope`, `source: kyverno` on each result.
 */
function openReport(opts: { name: string; ns?: string; scope?: Ref; source?: string; results: ResultSpec[] }): KubernetesObject {
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of opts.results) summary[r.result]++;
  return {
    apiVersion: 'openreports.io/v1alpha1',
    kind: opts.ns ? 'Report' : 'ClusterReport',
    metadata: { name: opts.name, ...(opts.ns ? { namespace: opts.ns } : {}), labels: { 'app.kubernetes.io/managed-by': 'kyverno' } },
    ...(opts.source !== undefined ? { source: opts.source } : {}),
    ...(opts.scope ? { scope: opts.scope } : {}),
    summary,
    results: opts.results.map((r) => ({
      ...(r.source === false ? {} : { source: r.source ?? 'kyverno' }),
      policy: r.policy,
      rule: r.rule ?? RULE,
      result: r.result,
      message: r.message ?? `validation ${r.result}`,
      scored: true,
      properties: { process: 'background scan' },
      ...(r.at ? { timestamp: timestamp(r.at) } : {}),
      ...(r.resources ? { resources: r.resources } : {}),
    })),
  } as unknown as KubernetesObject;
}

/** A wgpolicyk8s.io PolicyReport in the older shape: one report, each result naming its resource. */
function policyReport(ns: string, name: string, results: (ResultSpec & { resources: Ref[] })[]): KubernetesObject {
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    metadata: { name, namespace: ns },
    summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
    results: results.map((r) => ({
      source: 'kyverno', policy: r.policy, rule: r.rule ?? RULE, result: r.result, message: r.message ?? `validation ${r.result}`, scored: true,
      ...(r.at ? { timestamp: timestamp(r.at) } : {}),
      resources: r.resources,
    })),
  } as unknown as KubernetesObject;
}

/** Creates the objects; cluster-scoped ones (ClusterPolicy, ClusterReport) are deleted after the test. */
async function create(t: { after(fn: () => Promise<unknown>): void }, cluster: TestCluster, objects: (KubernetesObject | KyvernoPolicy)[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  for (const o of objects as KubernetesObject[]) {
    await api.create(o);
    if (!o.metadata?.namespace) t.after(() => api.delete(o).catch(() => undefined));
  }
}

test('openreports.io: the stand-in CRDs are served and keep every field of a Kyverno-written report', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const d = new Discovery(cluster.kc);
  assert.equal(await d.serves('openreports.io/v1alpha1'), true);
  const rep = await d.find('openreports.io/v1alpha1', 'Report');
  const crep = await d.find('openreports.io/v1alpha1', 'ClusterReport');
  assert.deepEqual([rep?.plural, rep?.namespaced], ['reports', true]);
  assert.deepEqual([crep?.plural, crep?.namespaced], ['clusterreports', false]);
  const list: any = (await kubeRequest(cluster.endpoint, 'GET', '/apis/openreports.io/v1alpha1')).json();
  assert.deepEqual(list.resources.find((r: any) => r.kind === 'Report').shortNames, ['reps']);
  assert.deepEqual(list.resources.find((r: any) => r.kind === 'ClusterReport').shortNames, ['creps']);

  const ns = await cluster.namespace('or-crd');
  const report = {
    apiVersion: 'openreports.io/v1alpha1',
    kind: 'Report',
    metadata: { name: uniqueName('rep'), namespace: ns },
    source: 'kyverno',
    scope: { apiVersion: 'v1', kind: 'Pod', name: 'web', namespace: ns, uid: 'u-1' },
    configuration: { limits: { maxResults: 100, statusFilter: ['fail', 'error'] } },
    summary: { pass: 1, fail: 1, warn: 0, error: 0, skip: 0 },
    results: [
      {
        source: 'kyverno',
        policy: `${ns}/require-team`,
        rule: 'require-team',
        result: 'fail',
        message: 'label team is required',
        scored: true,
        severity: 'medium',
        category: 'Best Practices',
        timestamp: { seconds: 1700000000, nanos: 5 },
        properties: { process: 'background scan' },
      },
      {
        policy: 'require-team',
        result: 'pass',
        resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'api', namespace: ns, uid: 'u-2', resourceVersion: '7', fieldPath: 'spec' }],
        resourceSelector: { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
      },
    ],
  };
  const live = await serverSideApply(cluster.endpoint, report);
  for (const field of ['source', 'scope', 'configuration', 'summary', 'results'] as const) assert.deepEqual(live[field], report[field], field);

  const cluster1 = { ...report, kind: 'ClusterReport', metadata: { name: uniqueName('crep') }, scope: { apiVersion: 'v1', kind: 'Namespace', name: ns } };
  t.after(() => kubeRequest(cluster.endpoint, 'DELETE', `/apis/openreports.io/v1alpha1/clusterreports/${cluster1.metadata.name}`, { allow: [404] }));
  const liveCluster = await serverSideApply(cluster.endpoint, cluster1);
  assert.equal(liveCluster.metadata.namespace, undefined);
  assert.deepEqual(liveCluster.results, report.results);

  const bad = structuredClone(report);
  bad.results[1].result = 'passed';
  await assert.rejects(serverSideApply(cluster.endpoint, bad), (err: unknown) => {
    assert.ok(err instanceof KubeHttpError);
    assert.equal(err.status, 422);
    assert.match(err.message, /results\[1\]\.result|Unsupported value/);
    return true;
  });
});

test('openreports.io: fresh Reports and ClusterReports are read in auto and policyReports mode, filtered to the rendered policies', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('or-fresh');
  const pods = labelPolicy('ClusterPolicy', uniqueName('or-pods'), ns);
  const nsPolicy = labelPolicy('Policy', uniqueName('or-ns-pods'), ns);
  const namespaces = labelPolicy('ClusterPolicy', uniqueName('or-namespaces'), ns, { kinds: ['Namespace'], names: [ns] });
  await create(t, cluster, [pods, nsPolicy, namespaces]);

  // The Pods do not exist at all: results can only come from the reports.
  const later = new Date(Date.now() + 5_000);
  const perPod = (pod: string, results: ResultSpec[], extra: { source?: string } = {}) =>
    openReport({ name: uniqueName(`uid-${pod}`), ns, scope: podRef(ns, pod), results, ...extra });
  await create(t, cluster, [
    perPod('a', [
      { policy: pods.metadata.name, result: 'fail', at: later, message: 'label team is required' },
      { policy: reportName(nsPolicy), result: 'pass', at: later },
    ]),
    perPod('b', [
      { policy: pods.metadata.name, result: 'pass', at: later },
      { policy: reportName(nsPolicy), result: 'pass', at: later },
    ]),
    perPod('c', [{ policy: pods.metadata.name, result: 'warn', at: later }]),
    perPod('d', [{ policy: pods.metadata.name, result: 'error', at: later, message: 'boom' }]),
    perPod('e', [{ policy: pods.metadata.name, result: 'skip', at: later }]),
    // Someone else's policy, a report of another source (set on the report only) and a result of
    // another source (set on the result): none counts.
    perPod('f', [{ policy: 'someone-elses-policy', result: 'fail', at: later }]),
    perPod('g', [{ policy: pods.metadata.name, result: 'fail', at: later, source: false }], { source: 'trivy' }),
    perPod('h', [{ policy: pods.metadata.name, result: 'fail', at: later, source: 'falco' }]),
    // A cluster-scoped resource in a ClusterReport.
    openReport({ name: uniqueName('or-ns'), scope: { apiVersion: 'v1', kind: 'Namespace', name: ns, uid: `uid-${ns}` }, results: [
      { policy: namespaces.metadata.name, result: 'fail', at: later, message: 'namespace label team is required' },
    ] }),
  ]);

  const input = {
    desired: [desired(pods, 'pods'), desired(nsPolicy, 'ns-pods'), desired(namespaces, 'namespaces')],
    specPolicies: [specPolicy('pods'), specPolicy('ns-pods'), specPolicy('namespaces')],
    target: new TargetObservation(cluster.kc),
    now: new Date(Date.now() + 10_000),
  };

  const read = await readPolicyReports(input);
  assert.deepEqual(read.errors, []);
  assert.ok(read.read.includes('openreports.io/v1alpha1 Report') && read.read.includes('openreports.io/v1alpha1 ClusterReport'), read.read.join(', '));
  assert.equal(read.fresh, true, JSON.stringify(read.freshness));
  assert.equal(read.resultCount, 8, 'a..e (and the Policy on a and b) and the Namespace; not f, g, h');
  assert.deepEqual(read.freshness.map((f) => [f.policy, f.results, f.reason]), [
    [`ClusterPolicy/${pods.metadata.name}`, 5, 'fresh'],
    [`Policy/${ns}/${nsPolicy.metadata.name}`, 2, 'fresh'],
    [`ClusterPolicy/${namespaces.metadata.name}`, 1, 'fresh'],
  ]);

  for (const source of ['auto', 'policyReports'] as const) {
    const result = await assessCompliance({ source, keepAllViolations: true, ...input });
    assert.equal(result.source, 'policyReports', `${source}: ${result.notes.join('\n')}`);
    assert.deepEqual(result.errors, []);
    const byId = new Map(result.results.map((r) => [r.policyID, r]));

    // fail and error are violations, with namespace, kind, name and message; pass, warn, skip are not.
    const full = result.fullViolations!.get('pods')!;
    assert.deepEqual(full.map((v) => [v.namespace, v.resource]), [[ns, 'Pod/a'], [ns, 'Pod/d']]);
    assert.equal(full[0].message, `${pods.metadata.name}/${RULE}: label team is required`);
    assert.equal(full[1].message, `${pods.metadata.name}/${RULE}: error: boom`);
    assert.equal(byId.get('pods')!.status, 'violation');
    assert.equal(byId.get('pods')!.violationTotal, 2);

    // A namespaced Policy, named `<namespace>/<name>` in results: all pass → compliant.
    assert.equal(byId.get('ns-pods')!.status, 'compliant');
    assert.deepEqual(result.fullViolations!.get('ns-pods'), []);

    // A cluster-scoped resource from a ClusterReport: no namespace.
    assert.deepEqual(result.fullViolations!.get('namespaces'), [{ resource: `Namespace/${ns}`, message: `${namespaces.metadata.name}/${RULE}: namespace label team is required` }]);
  }

  // Forced engine: the reports are ignored and the (absent) Pods give nothing.
  const engine = await assessCompliance({ source: 'engine', keepAllViolations: true, ...input, desired: input.desired.slice(0, 2), specPolicies: input.specPolicies.slice(0, 2) });
  assert.equal(engine.source, 'engine');
  assert.deepEqual(engine.results.map((r) => r.status), ['compliant', 'compliant']);
});

test('openreports.io: a Report without result timestamps counts from its write time', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('or-notime');
  const policy = labelPolicy('ClusterPolicy', uniqueName('or-notime'), ns);
  await create(t, cluster, [policy]);
  await create(t, cluster, [openReport({ name: uniqueName('rep'), ns, scope: podRef(ns, 'x'), results: [{ policy: policy.metadata.name, result: 'fail' }] })]);
  const result = await assessCompliance({ source: 'auto', keepAllViolations: true, desired: [desired(policy, 'p')], specPolicies: [specPolicy('p')], target: new TargetObservation(cluster.kc), now: new Date(Date.now() + 1_000) });
  assert.equal(result.source, 'policyReports', result.notes.join('\n'));
  assert.deepEqual(result.fullViolations!.get('p')!.map((v) => [v.namespace, v.resource]), [[ns, 'Pod/x']]);
});

test('openreports.io: stale or aged Reports make auto fall back to the engine; forced policyReports still reads them', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('or-stale');
  await create(t, cluster, [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'live-bad', namespace: ns }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } as KubernetesObject]);
  const run = (source: 'auto' | 'policyReports', policy: KyvernoPolicy, now = new Date()) =>
    assessCompliance({ source, keepAllViolations: true, desired: [desired(policy, 'labels')], specPolicies: [specPolicy('labels')], target: new TargetObservation(cluster.kc), now });

  // 1. Results older than the policy's last change: the Report was written for an earlier version.
  const old = labelPolicy('ClusterPolicy', uniqueName('or-old'), ns);
  await create(t, cluster, [openReport({ name: uniqueName('rep'), ns, scope: podRef(ns, 'ghost'), results: [{ policy: old.metadata.name, result: 'fail', at: new Date(Date.now() - 60_000) }] })]);
  await create(t, cluster, [old]);
  const r1 = await run('auto', old);
  assert.equal(r1.source, 'engine');
  assert.ok(r1.notes.some((n) => /older than the policy's last change/.test(n)), r1.notes.join('\n'));
  assert.deepEqual(r1.fullViolations!.get('labels')!.map((v) => [v.namespace, v.resource]), [[ns, 'Pod/live-bad']], 'the engine saw the live Pod');
  const forced = await run('policyReports', old);
  assert.equal(forced.source, 'policyReports');
  assert.deepEqual(forced.fullViolations!.get('labels')!.map((v) => [v.namespace, v.resource]), [[ns, 'Pod/ghost']]);
  assert.ok(forced.notes.some((n) => /older than the policy's last change/.test(n)), forced.notes.join('\n'));

  // 2. A fresh ClusterReport, checked three hours later: too old.
  const aged = labelPolicy('ClusterPolicy', uniqueName('or-aged'), ns, { kinds: ['Namespace'], names: [ns] });
  await create(t, cluster, [aged]);
  await create(t, cluster, [openReport({ name: uniqueName('crep'), scope: { apiVersion: 'v1', kind: 'Namespace', name: ns }, results: [{ policy: aged.metadata.name, result: 'fail', at: new Date(Date.now() + 2_000) }] })]);
  assert.equal((await run('auto', aged, new Date(Date.now() + 5_000))).source, 'policyReports');
  const r2 = await run('auto', aged, new Date(Date.now() + 3 * 3600_000));
  assert.equal(r2.source, 'engine');
  assert.ok(r2.notes.some((n) => /older than 90 minutes/.test(n)), r2.notes.join('\n'));
});

test('openreports.io beside wgpolicyk8s.io: per policy, rule and resource the newest result wins; on a tie openreports.io', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('or-both');
  const policy = labelPolicy('ClusterPolicy', uniqueName('or-both'), ns);
  await create(t, cluster, [policy]);
  const name = policy.metadata.name;
  const base = new Date(Date.now() + 5_000);
  const plus = (s: number) => new Date(base.getTime() + s * 1000);
  const openPerPod = (pod: string, r: Omit<ResultSpec, 'policy'>, scope: Ref = podRef(ns, pod)) =>
    openReport({ name: uniqueName(`uid-${pod}`), ns, scope, results: [{ policy: name, ...r }] });

  await create(t, cluster, [
    // The older API: one namespace-wide report, each result naming its resource with uid and apiVersion.
    policyReport(ns, 'wg', [
      { policy: name, result: 'fail', at: base, message: 'wg a', resources: [podRef(ns, 'a')] },
      { policy: name, result: 'fail', at: plus(10), message: 'wg b (newer)', resources: [podRef(ns, 'b')] },
      { policy: name, result: 'fail', at: base, message: 'wg c (tie)', resources: [podRef(ns, 'c')] },
      { policy: name, result: 'fail', at: base, message: 'wg d', resources: [podRef(ns, 'd')] },
      { policy: name, result: 'fail', at: base, message: 'wg f (only here)', resources: [podRef(ns, 'f')] },
    ]),
    // openreports.io, per resource.
    openPerPod('a', { result: 'pass', at: plus(10) }), // newer pass: a is compliant
    openPerPod('b', { result: 'pass', at: base }), // older pass: b's newer wgpolicyk8s.io fail wins
    openPerPod('c', { result: 'pass', at: base }), // same second: openreports.io wins
    // The same Pod, named without uid or apiVersion: still the same resource.
    openPerPod('d', { result: 'pass', at: plus(10) }, { kind: 'Pod', name: 'd', namespace: ns }),
    openPerPod('e', { result: 'fail', at: base, message: 'or e (only here)' }),
  ]);

  for (const source of ['auto', 'policyReports'] as const) {
    const result = await assessCompliance({ source, keepAllViolations: true, desired: [desired(policy, 'labels')], specPolicies: [specPolicy('labels')], target: new TargetObservation(cluster.kc), now: plus(20) });
    assert.equal(result.source, 'policyReports', `${source}: ${result.notes.join('\n')}`);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.fullViolations!.get('labels')!.map((v) => [v.namespace, v.resource, v.message]), [
      [ns, 'Pod/b', `${name}/${RULE}: wg b (newer)`],
      [ns, 'Pod/e', `${name}/${RULE}: or e (only here)`],
      [ns, 'Pod/f', `${name}/${RULE}: wg f (only here)`],
    ]);
    assert.equal(result.freshness?.[0].results, 6, 'one result per resource a..f');
    assert.equal(result.freshness?.[0].newestResult, plus(10).toISOString().replace(/\.\d{3}Z$/, '.000Z'));
  }
});
