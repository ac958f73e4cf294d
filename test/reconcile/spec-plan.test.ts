import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpecs } from '../../src/spec/load.ts';
import { planSpecs } from '../../src/reconcile/spec-plan.ts';
import type { ClusterSpecification } from '../../src/api/types.ts';
import { specYaml, policyYaml } from '../support/operator.ts';

const SOURCE = 'https://git.example.com/platform/specs.git#specs';
const NS = 'kspec-system';

function mirror(name: string, file: string, source = SOURCE): ClusterSpecification {
  const loaded = loadSpecs(new Map([[file, specYaml(name, NS, { checks: { a: policyYaml(`${name}-a`) } })]])).specs[0].spec;
  return { ...loaded, metadata: { ...loaded.metadata, annotations: { 'kspec.io/source': source, 'kspec.io/source-commit': 'old', 'kspec.io/source-file': file } } };
}

const files = (entries: Record<string, string>) => new Map(Object.entries(entries));
const summary = (plans: ReturnType<typeof planSpecs>) =>
  plans.map((p) => [p.name, p.desiredFrom, p.retired ?? false, p.errors.length, p.desired.map((d) => d.object.metadata.name).join(',')]);

const cases: { name: string; files: Record<string, string>; mirrors: ClusterSpecification[]; fetchError?: string; expect: unknown[] }[] = [
  {
    name: 'a clean commit renders from Git',
    files: { 'specs/a.yaml': specYaml('a', NS, { checks: { a: policyYaml('a-a') } }) },
    mirrors: [],
    expect: [['a', 'git', false, 0, 'a-a']],
  },
  {
    name: 'an invalid spec keeps its mirror as the last good state',
    files: { 'specs/a.yaml': specYaml('a', NS, { mode: 'enforcing', checks: { a: policyYaml('a-b') } }) },
    mirrors: [mirror('a', 'specs/a.yaml')],
    expect: [['a', 'last-good', false, 1, 'a-a']],
  },
  {
    name: 'a YAML syntax error is tied to the spec by its mirror\'s source file',
    files: { 'specs/a.yaml': 'kind: [broken\n', 'specs/b.yaml': specYaml('b', NS, { checks: { a: policyYaml('b-a') } }) },
    mirrors: [mirror('a', 'specs/a.yaml'), mirror('b', 'specs/b.yaml')],
    expect: [['a', 'last-good', false, 1, 'a-a'], ['b', 'git', false, 0, 'b-a']],
  },
  {
    name: 'a failed fetch holds every spec of this source at its last good state',
    files: {},
    mirrors: [mirror('a', 'specs/a.yaml'), mirror('b', 'specs/b.yaml')],
    fetchError: 'cannot fetch: HTTP 503',
    expect: [['a', 'last-good', false, 1, 'a-a'], ['b', 'last-good', false, 1, 'b-a']],
  },
  {
    name: 'a spec gone from a clean commit is retired: it wants nothing',
    files: { 'specs/b.yaml': specYaml('b', NS, { checks: { a: policyYaml('b-a') } }) },
    mirrors: [mirror('a', 'specs/a.yaml'), mirror('b', 'specs/b.yaml')],
    expect: [['a', 'git', true, 0, ''], ['b', 'git', false, 0, 'b-a']],
  },
  {
    name: 'with any load error, a missing spec is not retired (the error may hide it)',
    files: { 'specs/b.yaml': 'kind: [broken\n' },
    mirrors: [mirror('a', 'specs/a.yaml'), mirror('b', 'specs/b.yaml')],
    expect: [['b', 'last-good', false, 1, 'b-a']],
  },
  {
    name: 'mirrors of another repository or path are never touched',
    files: {},
    mirrors: [mirror('x', 'specs/x.yaml', 'https://git.example.com/other.git#')],
    expect: [],
  },
  {
    name: 'a spec that never loaded cleanly has nothing to hold',
    files: { 'specs/a.yaml': specYaml('a', NS, { mode: 'enforcing', checks: { a: policyYaml('a-a') } }) },
    mirrors: [],
    expect: [['a', 'none', false, 1, '']],
  },
];

for (const c of cases) {
  test(`plan: ${c.name}`, () => {
    const load = loadSpecs(files(c.files));
    assert.deepEqual(summary(planSpecs(load, 'new', SOURCE, c.mirrors, c.fetchError)), c.expect);
  });
}

test('plan: who owns a spec in the cluster decides whether a Git spec is served, refused or taken over', () => {
  const load = loadSpecs(files({ 'specs/a.yaml': specYaml('a', NS, { checks: { a: policyYaml('a-a') } }) }), { namespace: NS });
  const owned = mirror('a', 'specs/a.yaml', 'https://git.example.com/other/specs.git#');
  const refused = planSpecs(load, 'new', SOURCE, [owned])[0];
  assert.deepEqual([refused.refusal?.reason, refused.desiredFrom, refused.desired.length], ['SourceConflict', 'none', 0]);
  assert.match(refused.refusal!.message, /which repository https:\/\/git\.example\.com\/other\/specs\.git# manages; .* --take-over/);
  assert.equal(refused.spec, owned, 'the owner\'s spec, not this repository\'s, is what the status is written on');
  const taken = planSpecs(load, 'new', SOURCE, [owned], undefined, { takeOver: true })[0];
  assert.deepEqual([taken.refusal, taken.desiredFrom, taken.takenOverFrom], [undefined, 'git', 'repository https://git.example.com/other/specs.git#']);
});

test('plan: specs applied to the cluster are served, or NotManaged, only in the installation\'s namespace', () => {
  const applied = (name: string, namespace: string): ClusterSpecification => {
    const loaded = loadSpecs(files({ 'x.yaml': specYaml(name, namespace, { checks: { c: policyYaml(`${name}-c`) } }) })).specs[0].spec;
    return { ...loaded, metadata: { ...loaded.metadata, generation: 2 } };
  };
  const specs = [applied('here', NS), applied('elsewhere', 'team-b')];
  const empty = loadSpecs(new Map());
  const served = planSpecs(empty, '', undefined, specs, undefined, { serveAppliedSpecs: true, namespace: NS });
  assert.deepEqual(served.map((p) => [p.name, p.desiredFrom, p.applied, p.desired.map((d) => d.object.metadata.name).join(',')]), [['here', 'cluster', true, 'here-c']]);
  const notServed = planSpecs(empty, '', SOURCE, specs, undefined, { namespace: NS });
  assert.deepEqual(notServed.map((p) => [p.name, p.refusal?.reason, p.desiredFrom]), [['here', 'NotManaged', 'none']]);
  assert.match(notServed[0].refusal!.message, new RegExp(`serves only ${SOURCE.replace(/[.]/g, '\\.')}: .*--cluster-specs`));
});
