// assessCompliance over a target held in memory (InMemoryReads), no API server: the assessment
// reads only what the observation hands it, so what a user sees in the PolicyResults follows
// from the objects alone. The same assessment against the real control plane is assess.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessCompliance } from '../../src/compliance/assess.ts';
import type { AssessInput } from '../../src/compliance/assess.ts';
import { InMemoryReads } from '../../src/compliance/in-memory-reads.ts';
import type { KubeItem } from '../../src/compliance/compliance-reads.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../../src/render/desired-policy.ts';
import { namespaceBlocksPods } from './blocking-policy.ts';
import type { PolicyDefinition } from '../../src/api/types.ts';

const NOW = new Date('2026-12-01T12:00:00Z');

function desired(object: KyvernoPolicy, policyId: string): DesiredPolicy {
  return { object, specName: 'spec', policyId, checkId: 'c1', severity: 'high' };
}

function specPolicy(id: string): PolicyDefinition {
  return { id, title: id, severity: 'high', checks: [{ id: 'c1', kyvernoPolicy: '' }] };
}

function pod(namespace: string, name: string, labels: Record<string, string> = {}): KubeItem {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } };
}

function namespace(name: string, labels: Record<string, string> = {}): KubeItem {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

function requireTeam(name: string, match: Record<string, unknown> = { kinds: ['Pod'] }): KyvernoPolicy {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name, annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } },
    spec: {
      validationFailureAction: 'Audit',
      background: true,
      rules: [{ name: 'require-team', match: { any: [{ resources: match }] }, validate: { message: 'label team is required', pattern: { metadata: { labels: { team: '?*' } } } } }],
    },
  };
}

function assess(target: InMemoryReads, policy: KyvernoPolicy, extra: Partial<AssessInput> = {}) {
  return assessCompliance({ source: 'engine', keepAllViolations: true, desired: [desired(policy, 'p')], specPolicies: [specPolicy('p')], target, now: NOW, ...extra });
}

test('a policy over the Pods of the target: the ones without the label are violations, system namespaces are left out', async () => {
  const target = new InMemoryReads({
    objects: [
      pod('shop', 'web', { team: 'a' }),
      pod('shop', 'worker'),
      pod('billing', 'api'),
      pod('kube-system', 'dns'),
    ],
  });
  const result = await assess(target, requireTeam('require-team'), { pageSize: 1 });
  assert.equal(result.source, 'engine');
  assert.deepEqual(result.errors, []);
  const [r] = result.results;
  assert.equal(r.policyID, 'p');
  assert.equal(r.status, 'violation');
  assert.equal(r.violationTotal, 2);
  assert.deepEqual(r.violations.map((v) => [v.namespace, v.resource]), [['billing', 'Pod/api'], ['shop', 'Pod/worker']]);
  assert.equal(r.violations[0].message, 'require-team/require-team: validation error: label team is required. rule require-team failed at path /metadata/labels/team/');
  assert.equal(result.resourcesChecked, 3, 'kube-system is not scanned, as Kyverno leaves it out');
  assert.equal(result.stats!.pages, 4, 'the four Pods came one page at a time');
});

test('a policy with a kind the target does not serve says so, and holds for what is served', async () => {
  const target = new InMemoryReads({ objects: [pod('shop', 'web', { team: 'a' })] });
  const result = await assess(target, requireTeam('teams', { kinds: ['Pod', 'example.com/v1/Widget'] }));
  assert.equal(result.results[0].status, 'compliant');
  assert.ok(result.notes.includes('teams: kind example.com/v1/Widget is not served by this cluster'), result.notes.join('\n'));
});

test('namespaceSelector reads the labels of the namespaces among the objects', async () => {
  const target = new InMemoryReads({
    objects: [
      namespace('prod', { env: 'prod' }),
      namespace('dev', { env: 'dev' }),
      pod('prod', 'unlabelled'),
      pod('dev', 'unlabelled'),
    ],
  });
  const result = await assess(target, requireTeam('prod-teams', { kinds: ['Pod'], namespaceSelector: { matchLabels: { env: 'prod' } } }));
  assert.deepEqual(result.errors, []);
  const [r] = result.results;
  assert.equal(r.violationTotal, 1);
  assert.deepEqual(r.violations.map((v) => [v.namespace, v.resource]), [['prod', 'Pod/unlabelled']]);
});

test('a policy that reads cluster data gets it through the target\'s resolvers: apiCall answers and ConfigMaps', async () => {
  const policy = namespaceBlocksPods('ns-blocked');
  const target = new InMemoryReads({
    objects: [
      pod('blocked', 'p1'),
      pod('open', 'p2'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'blocked' }, data: { blocked: 'true' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'open' }, data: { blocked: 'false' } },
    ],
    apiCalls: {
      '/api/v1/namespaces/blocked/configmaps/settings': { data: { blocked: 'true' } },
      '/api/v1/namespaces/open/configmaps/settings': { data: { blocked: 'false' } },
    },
  });
  const result = await assess(target, policy);
  assert.deepEqual(result.errors, []);
  const full = result.fullViolations!.get('p')!;
  assert.deepEqual(full.map((v) => [v.namespace, v.resource]), [['blocked', 'Pod/p1']]);
  assert.match(full[0].message, /by-apiCall: namespace blocks Pods \(apiCall\)/);
  assert.match(full[0].message, /by-configMap: namespace blocks Pods \(configMap\)/);
  assert.equal(result.results[0].violationTotal, 1);
});

test('an apiCall the target cannot answer is an error result, so the Pod is a violation that names the context entry', async () => {
  const policy: KyvernoPolicy = {
    apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'needs-answer', annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } },
    spec: {
      background: true,
      rules: [{
        name: 'lookup',
        match: { any: [{ resources: { kinds: ['Pod'] } }] },
        context: [{ name: 'quota', apiCall: { urlPath: '/api/v1/namespaces/{{request.namespace}}/resourcequotas' } }],
        validate: { message: 'a quota is required', deny: { conditions: { any: [{ key: '{{ length(quota.items) }}', operator: 'Equals', value: 0 }] } } },
      }],
    },
  };
  const result = await assess(new InMemoryReads({ objects: [pod('shop', 'web')] }), policy);
  const [v] = result.fullViolations!.get('p')!;
  assert.equal(v.resource, 'Pod/web');
  assert.equal(v.message, 'needs-answer/lookup: error: failed to load context: failed to add context entry quota: no value and no default');
});

test('policy reports among the objects: fresh ones are the source in auto mode, their failures the violations', async () => {
  const policy = requireTeam('require-team');
  const installed = { ...policy, metadata: { ...policy.metadata, creationTimestamp: '2026-12-01T10:00:00Z' } } as unknown as KubeItem;
  const report = (name: string, results: { pod: string; result: string; message?: string }[]): KubeItem => ({
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    metadata: { name, namespace: 'shop', creationTimestamp: '2026-12-01T11:30:00Z' },
    results: results.map((r) => ({
      source: 'kyverno', policy: 'require-team', rule: 'require-team', result: r.result, message: r.message ?? '',
      timestamp: { seconds: Date.parse('2026-12-01T11:30:00Z') / 1000 },
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: r.pod, namespace: 'shop' }],
    })),
  });
  const target = new InMemoryReads({
    objects: [
      installed,
      report('r1', [{ pod: 'a', result: 'fail', message: 'label team is required' }, { pod: 'b', result: 'pass' }, { pod: 'c', result: 'warn' }]),
      report('r2', [{ pod: 'd', result: 'error', message: 'boom' }]),
      // The Pods themselves are not there: the results can only come from the reports.
    ],
  });
  for (const source of ['auto', 'policyReports'] as const) {
    const result = await assess(target, policy, { source });
    assert.equal(result.source, 'policyReports', `${source}: ${result.notes.join('\n')}`);
    assert.deepEqual(result.errors, []);
    const [r] = result.results;
    assert.equal(r.status, 'violation');
    assert.equal(r.violationTotal, 2, 'fail and error count; pass and warn do not');
    assert.deepEqual(r.violations, [
      { namespace: 'shop', resource: 'Pod/a', message: 'require-team/require-team: label team is required' },
      { namespace: 'shop', resource: 'Pod/d', message: 'require-team/require-team: error: boom' },
    ]);
    assert.equal(result.resourcesChecked, 4);
    assert.equal(result.freshness![0].reason, 'fresh');
  }

  // Two hours later the newest result is stale: auto falls back to the engine, which finds no Pods.
  const later = await assess(target, policy, { source: 'auto', now: new Date('2026-12-01T14:00:00Z') });
  assert.equal(later.source, 'engine');
  assert.ok(later.notes.some((n) => n.includes('auto: policy reports are not fresh')), later.notes.join('\n'));
  assert.equal(later.results[0].status, 'compliant');
});

test('no policy report API on the target: policyReports says so on every policy, auto uses the engine', async () => {
  const target = new InMemoryReads({ objects: [pod('shop', 'web')] });
  const reports = await assess(target, requireTeam('require-team'), { source: 'policyReports' });
  assert.equal(reports.results[0].status, 'violation');
  assert.deepEqual(reports.results[0].violations, [{ resource: 'ClusterPolicy/require-team', message: 'no policy reports to read' }]);
  assert.match(reports.errors.join('\n'), /no policy report API is served/);
  const auto = await assess(target, requireTeam('require-team'), { source: 'auto' });
  assert.equal(auto.source, 'engine');
  assert.deepEqual(auto.results[0].violations.map((v) => v.resource), ['Pod/web']);
});

test('resources checked are the ones a policy applied to: Pods of other namespaces, listed for a ClusterPolicy that matches one, are not counted', async () => {
  const target = new InMemoryReads({ objects: [pod('shop', 'web', { team: 'a' }), pod('shop', 'worker'), pod('other', 'a'), pod('other', 'b'), pod('other', 'c')] });
  const result = await assess(target, requireTeam('require-team-in-shop', { kinds: ['Pod'], namespaces: ['shop'] }));
  assert.equal(result.stats!.resources, 5, 'a ClusterPolicy lists the Pods of every namespace');
  assert.equal(result.resourcesChecked, 2);
  assert.equal(result.results[0].violationTotal, 1);
});
