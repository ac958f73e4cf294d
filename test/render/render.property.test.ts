// Properties of the renderer (issue 9), over generated specs with a fixed seed: rendering is
// deterministic; every check ends as exactly one policy or as errors of that very check; every
// policy carries the ownership labels of its spec, policy and check; and nothing a spec writes
// reaches the cluster unless it is a validate rule, by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadSpecs } from '../../src/spec/load.ts';
import { renderSpec, renderSpecs } from '../../src/render/render.ts';
import { CHECK_LABEL, MANAGED_BY, POLICY_LABEL, SPEC_LABEL } from '../../src/render/ownership.ts';

const RUNS = { seed: 21, numRuns: 200 };

const id = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const ruleBody = fc.oneof(
  fc.record({ validate: fc.record({ message: fc.string({ maxLength: 10 }), pattern: fc.constant({ metadata: { name: '?*' } }) }) }),
  fc.record({ validate: fc.record({ failureAction: fc.constantFrom('Audit', 'Enforce'), deny: fc.constant({}) }) }),
  fc.record({ mutate: fc.constant({ patchStrategicMerge: {} }) }),
  fc.record({ generate: fc.constant({ kind: 'ConfigMap', name: 'x' }) }),
  fc.constant({}),
);
const rule = fc.tuple(id, ruleBody).map(([name, body]) => ({ name, match: { any: [{ resources: { kinds: ['Pod'] } }] }, ...body }));
const kyvernoPolicy = fc.record({
  kind: fc.constantFrom('ClusterPolicy', 'Policy'),
  name: fc.oneof(id, fc.constantFrom('a..b', 'UPPER', 'ok.name')),
  namespace: fc.option(id, { nil: undefined }),
  rules: fc.array(rule, { maxLength: 3 }),
  labels: fc.option(fc.oneof(fc.dictionary(id, id, { maxKeys: 2 }), fc.constant('a=b')), { nil: undefined }),
  extra: fc.option(fc.dictionary(fc.constantFrom('background', 'backgroud', 'admission'), fc.boolean(), { maxKeys: 2 }), { nil: undefined }),
}).map((p) => stringify({
  apiVersion: 'kyverno.io/v1',
  kind: p.kind,
  metadata: { name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}), ...(p.labels ? { labels: p.labels } : {}) },
  spec: { ...(p.extra ?? {}), rules: p.rules },
}));
const check = fc.record({ id, kyvernoPolicy });
const policy = fc.record({ id, title: fc.constant('T'), severity: fc.constantFrom('critical', 'high', 'medium', 'low'), checks: fc.array(check, { minLength: 1, maxLength: 3 }) });
const spec = fc.record({ name: id, mode: fc.constantFrom('monitor', 'enforce'), policies: fc.array(policy, { minLength: 1, maxLength: 3 }) }).map((s) => stringify({
  apiVersion: 'kspec.io/v1alpha1',
  kind: 'ClusterSpecification',
  metadata: { name: s.name },
  spec: { targetClusterRef: { name: 'local' }, enforcementMode: s.mode, policies: s.policies },
}));

test('property: every check renders one policy or fails with its own errors; ownership labels; deterministic', () => {
  fc.assert(
    fc.property(spec, (text) => {
      const load = loadSpecs(new Map([['s.yaml', text]]));
      fc.pre(load.specs.length === 1);
      const loaded = load.specs[0];
      const result = renderSpec(loaded, 'c0ffee');
      assert.equal(JSON.stringify(renderSpec(loaded, 'c0ffee')), JSON.stringify(result), 'deterministic');
      for (const p of loaded.spec.spec.policies) {
        for (const c of p.checks) {
          const rendered = result.policies.filter((d) => d.policyId === p.id && d.checkId === c.id);
          const failed = result.errors.filter((e) => e.policyId === p.id && e.checkId === c.id);
          assert.ok((rendered.length === 1) !== (failed.length > 0), `${p.id}/${c.id}: exactly one policy or errors`);
          for (const e of failed) assert.ok(e.line >= 1 && e.file === 's.yaml');
        }
      }
      for (const d of result.policies) {
        const labels = d.object.metadata.labels!;
        assert.equal(labels[MANAGED_BY], 'kspec');
        assert.equal(labels[SPEC_LABEL], loaded.spec.metadata.name);
        assert.equal(labels[POLICY_LABEL], d.policyId);
        assert.equal(labels[CHECK_LABEL], d.checkId);
        const types = (d.object.spec.rules as Record<string, unknown>[]).flatMap((r) => ['mutate', 'generate', 'verifyImages'].filter((k) => k in r));
        assert.deepEqual(types, [], 'only validate rules by default');
      }
    }),
    RUNS,
  );
});

test('property: rendering all specs together never yields one policy twice', () => {
  fc.assert(
    fc.property(fc.array(spec, { minLength: 1, maxLength: 3 }), (texts) => {
      const load = loadSpecs(new Map(texts.map((t, i) => [`s${i}.yaml`, t])));
      const rendered = [...renderSpecs(load.specs, 'c').values()];
      const clean = rendered.filter((r) => r.errors.length === 0).flatMap((r) => r.policies.map((d) => `${d.object.kind}/${d.object.metadata.namespace ?? ''}/${d.object.metadata.name}`));
      assert.equal(new Set(clean).size, clean.length);
    }),
    RUNS,
  );
});
