// Another field manager editing kspec's policies on the real API server: a server-side apply
// (forced, as `kubectl apply --server-side --force-conflicts` makes it) that takes over fields
// kspec set, and an edit that lands between kspec's observe and its write. Each is reported and
// resolved as the spec's mode says: remediation auto reverts (never blindly over an edit it has
// not seen), remediation report only reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterSpecification, DriftReport } from '../../src/api/types.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';
import type { TargetOwnership } from '../../src/shard/target-ownership.ts';
import { policyYaml, specYaml } from '../support/operator.ts';
import { passFixture } from '../support/pass-fixture.ts';

type LivePolicy = KubernetesObject & { spec: { rules: { validate: { message: string } }[] }; metadata: { managedFields?: { manager: string; operation: string }[] } };

test('another field manager takes over kspec\'s fields (forced server-side apply) or edits between observe and write: auto reverts without overwriting unseen edits, report only reports', { timeout: 300_000 }, async (t) => {
  const f = await passFixture(t, (ns, id) => ({
    'specs/auto.yaml': specYaml(`fm-auto-${id}`, ns, { mode: 'enforce', checks: { a: policyYaml(`fm-a-${id}`, { namespace: ns, message: 'from git' }) } }),
    'specs/report.yaml': specYaml(`fm-report-${id}`, ns, { mode: 'enforce', remediation: 'report', checks: { r: policyYaml(`fm-r-${id}`, { namespace: ns, message: 'from git' }) } }),
  }));
  if (!f) return;
  const name = { auto: `fm-a-${f.id}`, report: `fm-r-${f.id}` };
  const ref = (policy: string) => ({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: policy } });
  const live = async (policy: string) => (await f.objects.read(ref(policy))) as LivePolicy;
  const message = async (policy: string) => (await live(policy)).spec.rules[0].validate.message;
  const outcome = (r: PassResult, spec: string) => r.specs.find((s) => s.plan.name === spec)!;
  /** What another team's tool does: server-side apply of the rule's message under its own name, forcing the conflict with kspec. */
  const platformApply = async (policy: string, text: string) => {
    const current = await live(policy);
    const rule = { ...current.spec.rules[0], validate: { ...current.spec.rules[0].validate, message: text } };
    await f.objects.patch({ ...ref(policy), spec: { rules: [rule] } } as KubernetesObject, undefined, undefined, 'platform-team', true, PatchStrategy.ServerSideApply);
  };

  // kspec installs both (report-only installs nothing: it is applied here as a person would).
  await f.pass();
  const reportSpec = (await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `fm-report-${f.id}`))!;
  assert.ok(reportSpec);
  await f.objects.create({ ...ref(name.report), metadata: { name: name.report, labels: { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': `fm-report-${f.id}`, 'kspec.io/spec-namespace': f.ns, 'kspec.io/policy': 'labels', 'kspec.io/check': 'r', 'kspec.io/severity': 'high' }, annotations: { 'kspec.io/policy-title': 'Labels', 'policies.kyverno.io/severity': 'high' } }, spec: (await live(name.auto)).spec } as KubernetesObject);
  const settled = await f.pass();
  assert.equal(outcome(settled, `fm-report-${f.id}`).remaining.length, 0, 'the hand-applied report-only policy matches the spec');

  // 1. The other manager takes the message over on both.
  await platformApply(name.auto, 'owned by the platform team');
  await platformApply(name.report, 'owned by the platform team');
  assert.ok((await live(name.auto)).metadata.managedFields?.some((m) => m.manager === 'platform-team'));
  const first = await f.pass();
  const auto = outcome(first, `fm-auto-${f.id}`);
  assert.deepEqual(auto.actions.map((a) => [a.drift.type, a.action]), [['modified', 'applied']]);
  assert.equal(await message(name.auto), 'from git', 'remediation auto reverts the field the other manager took');
  const report = outcome(first, `fm-report-${f.id}`);
  assert.deepEqual(report.actions.map((a) => [a.drift.type, a.action]), [['modified', 'none']]);
  assert.equal(await message(name.report), 'owned by the platform team', 'remediation report changes nothing');
  const drift = await f.store.get<DriftReport>('DriftReport', f.ns, `fm-report-${f.id}-local`);
  assert.deepEqual(drift?.status?.driftEvents.map((e) => [e.type, e.resourceName]), [['modified', name.report]], 'and reports it');
  const synced = (await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `fm-report-${f.id}`))?.status?.conditions?.find((c) => c.type === 'Synced');
  assert.equal(synced?.reason, 'ReportOnly');

  // 2. The other manager edits again, and once more while kspec is between observing and writing.
  //    kspec's write is conditional on what it observed: it fails with a conflict instead of
  //    overwriting an edit it never compared; the pass says so and the next one reverts.
  await platformApply(name.auto, 'edit seen by kspec');
  let raced = false;
  const editDuringAct: TargetOwnership = {
    claim: async (targets) => new Set(targets),
    write: async (_target, stage, fn) => {
      if (stage === 'act' && !raced) {
        raced = true;
        await platformApply(name.auto, 'edit kspec has not seen');
      }
      return fn();
    },
  };
  const conflicted = await f.pass({ ownership: editDuringAct });
  assert.ok(raced);
  const failed = outcome(conflicted, `fm-auto-${f.id}`);
  assert.equal(failed.phase, 'Failed');
  assert.deepEqual(failed.actions.map((a) => a.action), ['failed']);
  assert.match(failed.errors.join('\n'), /409|conflict|modified/i);
  assert.equal(await message(name.auto), 'edit kspec has not seen', 'the unseen edit was not overwritten');
  const ready = (await f.store.get<ClusterSpecification>('ClusterSpecification', f.ns, `fm-auto-${f.id}`))?.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  const next = await f.pass();
  assert.equal(outcome(next, `fm-auto-${f.id}`).phase, 'Active');
  assert.equal(await message(name.auto), 'from git', 'the next pass compares again and reverts');
  assert.equal(await message(name.report), 'owned by the platform team');
});
