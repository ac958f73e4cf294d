// The compliance stage of a pass, through the in-memory ports: each spec's results come from the
// target's observation (its objects), the ComplianceReport says so, and the specs on one target
// assess one after the other instead of all at once, while their writes are in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComplianceReport } from '../../src/api/types.ts';
import type { ObservedTarget } from '../../src/cluster/target-port.ts';
import { InMemoryManagement, InMemoryTarget } from '../support/in-memory-target.ts';
import { inMemoryPass, NAMESPACE } from '../support/in-memory-pass.ts';
import { specYaml } from '../support/operator.ts';

/** A policy requiring the label team on objects of one kind (not a Pod: no autogen kinds). */
const requireTeam = (name: string, kind: string) => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: ${name}
spec:
  background: true
  rules:
    - name: team
      match:
        any:
          - resources:
              kinds: [${kind}]
      validate:
        message: label team is required
        pattern:
          metadata:
            labels:
              team: "?*"`;

const files = {
  'specs/config.yaml': specYaml('config', NAMESPACE, { checks: { c1: requireTeam('config-team', 'ConfigMap') } }),
  'specs/services.yaml': specYaml('services', NAMESPACE, { checks: { c1: requireTeam('service-team', 'Service') } }),
};

/** An in-memory target whose observation records which kind each compliance read was about. */
class RecordingTarget extends InMemoryTarget {
  readonly reads: string[] = [];

  override observe(): ObservedTarget {
    const observed = super.observe();
    const reads = this.reads;
    return {
      ...observed,
      policiesOf: (spec) => observed.policiesOf(spec),
      findType: (apiVersion, kind) => observed.findType(apiVersion, kind),
      namespaceLabels: (options) => observed.namespaceLabels(options),
      resolvers: (options) => observed.resolvers(options),
      async resolveKind(spelling) {
        reads.push(spelling);
        return observed.resolveKind(spelling);
      },
      async *pages(type, options) {
        reads.push(type.kind);
        yield* observed.pages(type, options);
      },
    };
  }
}

function target(): RecordingTarget {
  const t = new RecordingTarget();
  t.resources.push(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop', labels: { team: 'a' } } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orphan', namespace: 'shop' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'front', namespace: 'shop' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'back', namespace: 'billing' } },
  );
  return t;
}

test('each spec on a target is assessed over the objects the observation holds, and its ComplianceReport says what violates', async () => {
  const management = new InMemoryManagement();
  const outcomes = await inMemoryPass({ files, target: target(), management, assess: true });

  const byName = new Map(outcomes.map((o) => [o.plan.name, o]));
  assert.deepEqual(byName.get('config')!.policyResults.map((r) => [r.status, r.violationTotal, r.violations.map((v) => `${v.namespace}/${v.resource}`)]), [['violation', 1, ['shop/ConfigMap/orphan']]]);
  assert.deepEqual(byName.get('services')!.policyResults.map((r) => [r.status, r.violationTotal, r.violations.map((v) => `${v.namespace}/${v.resource}`)]), [['violation', 2, ['billing/Service/back', 'shop/Service/front']]]);

  const report = management.object<ComplianceReport>('ComplianceReport', NAMESPACE, 'config-local')!;
  assert.equal(report.status!.source, 'engine');
  assert.equal(report.status!.resourcesChecked, 2);
  assert.equal(report.status!.policyResults![0].violations![0].message, 'config-team/team: validation error: label team is required. rule team failed at path /metadata/labels/');
});

test('the specs on one target assess one after the other: the reads of one spec are not interleaved with another\'s', async () => {
  const t = target();
  await inMemoryPass({ files, target: t, management: new InMemoryManagement(), assess: true });

  // Each spec resolves its kind, then reads its pages; in turn, the two never mix.
  const runs = t.reads.filter((kind, i) => kind !== t.reads[i - 1]);
  assert.equal(runs.length, 2, `reads: ${t.reads.join(', ')}`);
  assert.deepEqual([...runs].sort(), ['ConfigMap', 'Service']);
});

test('a spec is assessed while its writes are in flight: compliance does not wait for act', async () => {
  const t = target();
  // The spec's policy is missing on the target: act creates it, and that create is held.
  const release = t.hold('create', 'config-team');
  const pass = inMemoryPass({ files: { 'specs/config.yaml': files['specs/config.yaml'] }, target: t, management: new InMemoryManagement(), assess: true });
  for (let i = 0; i < 1000 && !t.reads.includes('ConfigMap'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(t.reads.includes('ConfigMap'), 'the ConfigMaps were read for assessment before the create finished');
  release();
  const [outcome] = await pass;
  assert.deepEqual(outcome.actions.map((a) => a.action), ['created']);
  assert.equal(outcome.policyResults[0].violationTotal, 1);
});
