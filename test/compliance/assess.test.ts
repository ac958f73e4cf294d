// assessCompliance against the real control plane: live Pods/Deployments evaluated by the engine,
// PolicyReports read and checked for freshness, source selection in auto mode, bounded violations
// with true totals, apiCall against the cluster and paginated LISTs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster, uniqueName } from '../support/cluster.ts';
import type { TestCluster } from '../support/cluster.ts';
import { assessCompliance } from '../../src/compliance/assess.ts';
import { TargetObservation } from '../../src/cluster/target-observation.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../../src/render/desired-policy.ts';
import { namespaceBlocksPods } from './blocking-policy.ts';
import type { PolicyDefinition, Severity } from '../../src/api/types.ts';
import { Discovery, parseKindSpelling } from '../../src/cluster/discovery.ts';
import { listAll } from '../../src/cluster/resource-lister.ts';

const labelPolicy = (name: string, ns: string, extra: Record<string, unknown> = {}): KyvernoPolicy => ({
  apiVersion: 'kyverno.io/v1',
  kind: 'ClusterPolicy',
  metadata: { name },
  spec: {
    validationFailureAction: 'Audit',
    background: true,
    rules: [{
      name: 'require-team',
      match: { any: [{ resources: { kinds: ['Pod'], namespaces: [ns] } }] },
      validate: { message: 'label team is required', pattern: { metadata: { labels: { team: '?*' } } } },
    }],
    ...extra,
  },
});

function desired(object: KyvernoPolicy, policyId: string, checkId = 'c1', severity: Severity = 'high'): DesiredPolicy {
  return { object, specName: 'spec', policyId, checkId, severity };
}

function specPolicy(id: string, checks: string[], severity: Severity = 'high'): PolicyDefinition {
  return { id, title: id, severity, checks: checks.map((c) => ({ id: c, kyvernoPolicy: '' })) };
}

function pod(ns: string, name: string, labels: Record<string, string> = {}): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } as KubernetesObject;
}

async function create(cluster: TestCluster, objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  await Promise.all(objects.map((o) => api.create(o)));
}

test('discovery resolves Kyverno kind spellings on the live API server', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const d = Discovery.for(cluster.kc);
  assert.equal(Discovery.for(cluster.kc), d, 'cached per client');
  const pod = await d.resolve('Pod');
  assert.deepEqual(pod.types.map((x) => [x.apiVersion, x.plural, x.namespaced]), [['v1', 'pods', true]]);
  assert.deepEqual((await d.resolve('apps/v1/Deployment')).types.map((x) => x.apiVersion), ['apps/v1']);
  assert.deepEqual((await d.resolve('apps/*/Deployment')).types.map((x) => x.apiVersion), ['apps/v1']);
  assert.deepEqual((await d.resolve('v1/Namespace')).types.map((x) => [x.apiVersion, x.namespaced]), [['v1', false]]);
  // Kubernetes 1.20 serves CronJob as batch/v1beta1 (preferred) — and batch/v1 only for Job.
  const cron = await d.resolve('CronJob');
  assert.equal(cron.types.length, 1);
  assert.match(cron.types[0].apiVersion, /^batch\//);
  assert.equal((await d.resolve('Pod/exec')).types.length, 0);
  assert.match((await d.resolve('Pod/exec')).note ?? '', /subresource/);
  assert.match((await d.resolve('*')).note ?? '', /wildcard/);
  assert.match((await d.resolve('NoSuchKind')).note ?? '', /not served/);
  assert.equal(await d.serves('wgpolicyk8s.io/v1alpha2'), true);
  assert.equal(await d.serves('openreports.io/v1alpha1'), true);
  assert.equal(await d.serves('openreports.io/v9'), false, 'a version that is not served');
  assert.deepEqual(parseKindSpelling('apps/v1/Deployment/scale'), { group: 'apps', version: 'v1', kind: 'Deployment', subresource: 'scale' });
});

test('the lister pages with limit + continue', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('lister');
  await create(cluster, Array.from({ length: 7 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns }, data: { i: String(i) } }) as KubernetesObject));
  const [type] = (await Discovery.for(cluster.kc).resolve('ConfigMap')).types;
  const { items, pages } = await listAll(cluster.kc, type, { namespace: ns, pageSize: 3 });
  assert.equal(items.length, 7);
  assert.equal(pages, 3);
  assert.equal(items[0].kind, 'ConfigMap');
  assert.equal(items[0].apiVersion, 'v1');
});

test('engine source: live Pods and Deployments, bounded violations with the true total, pagination', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('engine');
  await create(cluster, [
    pod(ns, 'good-1', { team: 'a' }),
    pod(ns, 'good-2', { team: 'b' }),
    ...Array.from({ length: 5 }, (_, i) => pod(ns, `bad-${i}`)),
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    } as KubernetesObject,
  ]);
  const name = uniqueName('require-team');
  const result = await assessCompliance({
    source: 'engine',
    keepAllViolations: true,
    desired: [desired(labelPolicy(name, ns), 'labels')],
    specPolicies: [specPolicy('labels', ['c1'])],
    target: new TargetObservation(cluster.kc),
    now: new Date(),
    pageSize: 2,
    maxViolations: 3,
  });
  assert.equal(result.source, 'engine');
  assert.deepEqual(result.errors, []);
  const [r] = result.results;
  assert.equal(r.status, 'violation');
  assert.equal(r.severity, 'high');
  assert.equal(r.violationTotal, 6, '5 Pods + the Deployment (autogen)');
  assert.equal(r.violations.length, 3);
  const full = result.fullViolations!.get('labels')!;
  assert.equal(full.length, 6);
  assert.deepEqual(full.map((v) => v.resource).sort(), ['Deployment/web', 'Pod/bad-0', 'Pod/bad-1', 'Pod/bad-2', 'Pod/bad-3', 'Pod/bad-4']);
  assert.ok(full.every((v) => v.namespace === ns));
  assert.match(full.find((v) => v.resource === 'Pod/bad-0')!.message, new RegExp(`^${name}/require-team: .*label team is required`));
  assert.match(full.find((v) => v.resource === 'Deployment/web')!.message, /autogen-require-team/);
  assert.ok(result.stats!.pages >= 4, `5 Pods in pages of 2, and the Deployment: ${JSON.stringify(result.stats)}`);
  assert.ok(result.stats!.resources >= 8);
});

test('engine source: apiCall and configMap context against the target cluster', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const blocked = await cluster.namespace('blocked');
  const open = await cluster.namespace('open');
  await create(cluster, [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: blocked }, data: { blocked: 'true' } } as KubernetesObject,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: open }, data: { blocked: 'false' } } as KubernetesObject,
    pod(blocked, 'p1'),
    pod(open, 'p2'),
  ]);
  const policy = namespaceBlocksPods(uniqueName('ns-blocked'), [blocked, open]);
  const result = await assessCompliance({ source: 'engine', keepAllViolations: true, desired: [desired(policy, 'ns')], specPolicies: [specPolicy('ns', ['c1'])], target: new TargetObservation(cluster.kc), now: new Date() });
  assert.deepEqual(result.errors, []);
  const full = result.fullViolations!.get('ns')!;
  assert.deepEqual(full.map((v) => [v.namespace, v.resource]), [[blocked, 'Pod/p1']]);
  assert.match(full[0].message, /by-apiCall: namespace blocks Pods \(apiCall\)/);
  assert.match(full[0].message, /by-configMap: namespace blocks Pods \(configMap\)/);
  assert.ok(result.stats!.apiCalls >= 2);
});

test('engine source: a ValidatingPolicy reads other objects of the target with resource.Get and resource.List', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const blocked = await cluster.namespace('cel-blocked');
  const open = await cluster.namespace('cel-open');
  await create(cluster, [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: blocked }, data: { blocked: 'true' } } as KubernetesObject,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: open }, data: { blocked: 'false' } } as KubernetesObject,
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'front', namespace: open }, spec: { ports: [{ port: 80 }] } } as KubernetesObject,
    pod(blocked, 'p1'),
    pod(open, 'p2'),
  ]);
  const name = uniqueName('cel-lookup');
  const policy = {
    apiVersion: 'policies.kyverno.io/v1alpha1', kind: 'ValidatingPolicy', metadata: { name },
    spec: {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] },
      matchConditions: [{ name: 'these-namespaces', expression: `object.metadata.namespace in ['${blocked}', '${open}']` }],
      variables: [{ name: 'settings', expression: "resource.Get('v1', 'configmaps', object.metadata.namespace, 'settings')" }],
      validations: [
        { expression: "variables.settings.data.blocked != 'true'", message: 'the namespace blocks Pods' },
        { expression: "resource.List('v1', 'services', object.metadata.namespace).items.size() > 0", message: 'a Pod needs a Service in its namespace' },
      ],
    },
  } as unknown as KyvernoPolicy;
  const result = await assessCompliance({ source: 'engine', keepAllViolations: true, desired: [desired(policy, 'cel')], specPolicies: [specPolicy('cel', ['c1'])], target: new TargetObservation(cluster.kc), now: new Date() });
  assert.deepEqual(result.errors, []);
  const full = result.fullViolations!.get('cel')!;
  assert.deepEqual(full.map((v) => [v.namespace, v.resource]), [[blocked, 'Pod/p1']]);
  assert.match(full[0].message, /the namespace blocks Pods/);
  // Each namespace's ConfigMap read once; the Services listed only where the first validation
  // passed (the first failing validation decides).
  assert.equal(result.stats!.apiCalls, 3, JSON.stringify(result.stats));
});

test('engine source: background false is not scanned; a malformed policy is a violation with an error', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('bg');
  await create(cluster, [pod(ns, 'unlabelled')]);
  const off = labelPolicy(uniqueName('bg-off'), ns, { background: false });
  const broken: KyvernoPolicy = { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: uniqueName('broken') }, spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message: 'x' } }] } };
  const result = await assessCompliance({
    source: 'engine',
    keepAllViolations: true,
    desired: [desired(off, 'off'), desired(broken, 'broken')],
    specPolicies: [specPolicy('off', ['c1']), specPolicy('broken', ['c1']), specPolicy('unrendered', ['c1'], 'low')],
    target: new TargetObservation(cluster.kc),
    now: new Date(),
  });
  const byId = new Map(result.results.map((r) => [r.policyID, r]));
  assert.equal(byId.get('off')!.status, 'compliant');
  assert.ok(result.notes.some((n) => n.includes('background is false')));
  assert.equal(byId.get('broken')!.status, 'violation');
  assert.match(byId.get('broken')!.violations[0].message, /cannot be evaluated/);
  assert.equal(result.errors.length, 1);
  assert.equal(byId.get('unrendered')!.violations[0].resource, 'check/c1');
});

function policyReport(ns: string, name: string, policy: string, at: Date, results: { pod: string; result: string; message?: string }[]): KubernetesObject {
  const seconds = Math.floor(at.getTime() / 1000);
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    metadata: { name, namespace: ns },
    results: results.map((r) => ({
      source: 'kyverno', policy, rule: 'require-team', result: r.result, message: r.message ?? `validation ${r.result}`, scored: true,
      timestamp: { seconds, nanos: 0 },
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: r.pod, namespace: ns, uid: `uid-${r.pod}` }],
    })),
    summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
  } as unknown as KubernetesObject;
}

test('policy reports: fresh reports are used in auto mode and mapped to violations', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('reports');
  const name = uniqueName('require-team');
  const policy = labelPolicy(name, ns);
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  await api.create(policy as unknown as KubernetesObject);
  t.after(() => api.delete(policy as unknown as KubernetesObject).catch(() => undefined));
  // The Pods do not exist at all: results can only come from the reports.
  const later = new Date(Date.now() + 5_000);
  await create(cluster, [
    policyReport(ns, 'r1', name, later, [
      { pod: 'a', result: 'fail', message: 'label team is required' },
      { pod: 'b', result: 'pass' },
      { pod: 'c', result: 'warn' },
      { pod: 'd', result: 'error', message: 'boom' },
    ]),
    policyReport(ns, 'r2', 'someone-elses-policy', later, [{ pod: 'e', result: 'fail' }]),
  ]);
  const result = await assessCompliance({ source: 'auto', keepAllViolations: true, desired: [desired(policy, 'labels')], specPolicies: [specPolicy('labels', ['c1'])], target: new TargetObservation(cluster.kc), now: new Date(Date.now() + 10_000) });
  assert.equal(result.source, 'policyReports', JSON.stringify(result.notes));
  assert.deepEqual(result.errors, []);
  const full = result.fullViolations!.get('labels')!;
  assert.deepEqual(full.map((v) => [v.namespace, v.resource]), [[ns, 'Pod/a'], [ns, 'Pod/d']]);
  assert.match(full[0].message, /label team is required/);
  assert.match(full[1].message, /error: boom/);
  assert.equal(result.freshness?.[0].fresh, true);

  // Forced engine: the reports are ignored and the (absent) Pods give nothing.
  const engine = await assessCompliance({ source: 'engine', keepAllViolations: true, desired: [desired(policy, 'labels')], specPolicies: [specPolicy('labels', ['c1'])], target: new TargetObservation(cluster.kc), now: new Date() });
  assert.equal(engine.source, 'engine');
  assert.equal(engine.results[0].status, 'compliant');
});

test('policy reports: stale, missing or not installed → the engine in auto mode; forced policyReports still reads them', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('stale');
  await create(cluster, [pod(ns, 'live-bad')]);
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  const run = (source: 'auto' | 'policyReports', policy: KyvernoPolicy, now = new Date()) =>
    assessCompliance({ source, keepAllViolations: true, desired: [desired(policy, 'labels')], specPolicies: [specPolicy('labels', ['c1'])], target: new TargetObservation(cluster.kc), now });

  // 1. No reports at all for the policy.
  const none = labelPolicy(uniqueName('none'), ns);
  await api.create(none as unknown as KubernetesObject);
  t.after(() => api.delete(none as unknown as KubernetesObject).catch(() => undefined));
  const r1 = await run('auto', none);
  assert.equal(r1.source, 'engine');
  assert.ok(r1.notes.some((n) => /no policy report results/.test(n)), r1.notes.join('\n'));
  assert.deepEqual(r1.fullViolations!.get('labels')!.map((v) => v.resource), ['Pod/live-bad']);

  // 2. Reports older than the policy's last change.
  const old = labelPolicy(uniqueName('old'), ns);
  await create(cluster, [policyReport(ns, 'old-report', old.metadata.name, new Date(Date.now() - 60_000), [{ pod: 'ghost', result: 'fail' }])]);
  await api.create(old as unknown as KubernetesObject);
  t.after(() => api.delete(old as unknown as KubernetesObject).catch(() => undefined));
  const r2 = await run('auto', old);
  assert.equal(r2.source, 'engine');
  assert.ok(r2.notes.some((n) => /older than the policy's last change/.test(n)), r2.notes.join('\n'));
  // Forced: the stale report is used anyway, and said to be stale.
  const forced = await run('policyReports', old);
  assert.equal(forced.source, 'policyReports');
  assert.deepEqual(forced.fullViolations!.get('labels')!.map((v) => v.resource), ['Pod/ghost']);
  assert.ok(forced.notes.some((n) => /older than the policy's last change/.test(n)));

  // 3. Fresh-looking reports, but checked three hours later: too old.
  const aged = labelPolicy(uniqueName('aged'), ns);
  await api.create(aged as unknown as KubernetesObject);
  t.after(() => api.delete(aged as unknown as KubernetesObject).catch(() => undefined));
  await create(cluster, [policyReport(ns, 'aged-report', aged.metadata.name, new Date(Date.now() + 2_000), [{ pod: 'ghost', result: 'fail' }])]);
  assert.equal((await run('auto', aged)).source, 'policyReports');
  const r3 = await run('auto', aged, new Date(Date.now() + 3 * 3600_000));
  assert.equal(r3.source, 'engine');
  assert.ok(r3.notes.some((n) => /older than 90 minutes/.test(n)), r3.notes.join('\n'));

  // 4. Reports for a policy that is not installed: not fresh; forced, it is a violation.
  const absent = labelPolicy(uniqueName('absent'), ns);
  await create(cluster, [policyReport(ns, 'absent-report', absent.metadata.name, new Date(Date.now() + 2_000), [{ pod: 'ghost', result: 'pass' }])]);
  assert.equal((await run('auto', absent)).source, 'engine');
  const forcedAbsent = await run('policyReports', absent);
  assert.equal(forcedAbsent.results[0].status, 'violation');
  assert.match(forcedAbsent.results[0].violations[0].message, /not installed/);
});
