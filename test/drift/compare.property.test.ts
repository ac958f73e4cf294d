// Properties of the drift diff (issue 9), over generated policies with a fixed seed: a policy is
// never drifted from itself, and the changes a drift reports are exactly what it takes to make
// live equal desired, so a DriftReport's fields can be trusted to the letter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareDesiredToLive, join } from '../../src/drift/compare.ts';
import { isSameAsAbsent, tableFor } from '../../src/drift/normalizers.ts';
import type { KyvernoPolicy } from '../../src/render/desired-policy.ts';
import type { FieldChange } from '../../src/api/types.ts';

const RUNS = { seed: 14, numRuns: 400 };

// Keys and values drawn so that the normalizer table gets exercised: Kyverno's defaulted fields,
// failure actions in both casings, autogen rule names, empty maps and lists, and keys that need
// quoting in a path.
const key = fc.constantFrom('match', 'exclude', 'any', 'resources', 'kinds', 'namespaces', 'validate', 'message', 'pattern', 'preconditions',
  'failureAction', 'background', 'admission', 'emitWarning', 'skipBackgroundRequests', 'allowExistingViolations', 'a.b', 'x y', '0');
const scalar = fc.oneof(fc.boolean(), fc.integer({ min: -2, max: 12 }), fc.constantFrom('Audit', 'audit', 'Enforce', 'enforce', 'Fail', 'Ignore', 'GET', 'Pod', ''), fc.constant(null));
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
}));
const ruleName = fc.constantFrom('r1', 'r2', 'autogen-r1', 'autogen-cronjob-r2');
const rule = fc.record({ name: ruleName, body: fc.dictionary(key, value, { maxKeys: 4 }) }).map(({ name, body }) => ({ ...body, name }));
const spec = fc.record(
  {
    validationFailureAction: fc.constantFrom('Audit', 'audit', 'Enforce', 'enforce'),
    failurePolicy: fc.constantFrom('Fail', 'Ignore'),
    background: fc.boolean(),
    rules: fc.array(rule, { maxLength: 3 }),
    extra: fc.dictionary(key, value, { maxKeys: 3 }),
  },
  { requiredKeys: [] },
).map(({ extra, ...fields }) => ({ ...extra, ...fields }) as Record<string, unknown>);
const strings = fc.dictionary(fc.constantFrom('kspec.io/spec', 'kspec.io/policy', 'kspec.io/source-commit', 'argocd.argoproj.io/tracking-id', 'team'), fc.constantFrom('a', 'b'), { maxKeys: 3 });
const policy = fc.record({ labels: strings, annotations: strings, spec }).map(({ labels, annotations, spec }): KyvernoPolicy => ({
  apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'p', labels, annotations }, spec,
}));

/** Live as another policy, or as desired with parts overwritten (closer to real edits). */
const livePolicyOf = (desired: KyvernoPolicy) =>
  fc.oneof(policy, policy.map((other) => ({ ...desired, metadata: { ...desired.metadata, labels: { ...desired.metadata.labels, ...other.metadata.labels } }, spec: overlay(desired.spec, other.spec) as Record<string, unknown> })));

test('the diff of a policy with itself, or of its stored form with itself, is empty', () => {
  fc.assert(fc.property(policy, (desired) => assert.deepEqual(compareDesiredToLive(desired, structuredClone(desired)), [])), RUNS);
  fc.assert(fc.property(policy, spec, (desired, stored) => assert.deepEqual(compareDesiredToLive(desired, { ...structuredClone(desired), spec: structuredClone(stored) }, stored), [])), RUNS);
});

test('applying the reported changes to live makes it equal desired', () => {
  const pairs = policy.chain((desired) => fc.tuple(fc.constant(desired), livePolicyOf(desired), fc.option(spec, { nil: undefined })));
  fc.assert(
    fc.property(pairs, ([desired, live, stored]) => {
      const changes = compareDesiredToLive(desired, live, stored);
      const patched = structuredClone(live);
      for (const change of changes) applyChange(patched, change);
      assert.deepEqual(compareDesiredToLive(desired, patched, stored), [], `after applying ${JSON.stringify(changes)}`);
    }),
    RUNS,
  );
});

test('an out-of-band value, an added field or a removed field anywhere in the spec is reported at, above or inside its path', () => {
  const table = tableFor('ClusterPolicy');
  const edits = policy.chain((desired) => fc.tuple(fc.constant(desired), fc.constantFrom(...fieldsOf(desired.spec, 'spec', [])), fc.constantFrom('replace', 'add', 'remove')));
  fc.assert(
    fc.property(edits, ([desired, field, edit]) => {
      const live = structuredClone(desired);
      // A value no Kyverno default or empty map has: an edit that must never pass as harmless.
      const tampered = JSON.stringify({ tamperedBy: 'kubectl-edit' });
      let where = field.path;
      if (edit === 'add' && field.isMap) applyChange(live, { path: (where = join(field.path, 'addedOutOfBand')), desired: tampered });
      else if (edit === 'remove' && field.inMap && !isSameAsAbsent(table, field.path, field.value)) applyChange(live, { path: field.path });
      else applyChange(live, { path: field.path, desired: tampered });
      const changes = compareDesiredToLive(desired, live);
      const related = (outer: string, inner: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
      assert.ok(changes.some((c) => related(c.path, where) || related(where, c.path)), `${edit} ${where} not in ${JSON.stringify(changes.map((c) => c.path))}`);
    }),
    RUNS,
  );
});

interface Field { path: string; value: unknown; isMap: boolean; inMap: boolean }

/** Every field and list item of a value, with its path. */
function fieldsOf(value: unknown, path: string, out: Field[], inMap = false): Field[] {
  out.push({ path, value, isMap: isObject(value), inMap });
  if (isObject(value)) for (const [k, v] of Object.entries(value)) fieldsOf(v, join(path, k), out, true);
  if (Array.isArray(value)) value.forEach((v, i) => fieldsOf(v, `${path}[${i}]`, out));
  return out;
}

function overlay(base: unknown, top: unknown): unknown {
  if (!isObject(base) || !isObject(top)) return top === undefined ? base : top;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(top)) out[k] = overlay(base[k], v);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets (or, without a desired value, removes) the field a change names, as its path spells it. */
function applyChange(root: unknown, change: FieldChange): void {
  const path = parsePath(change.path);
  let node = root as Record<string | number, unknown>;
  for (const [i, part] of path.slice(0, -1).entries()) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[part] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (change.desired === undefined) delete node[last];
  else node[last] = JSON.parse(change.desired);
}

/** `spec.rules[0]["a.b"].x` → ['spec', 'rules', 0, 'a.b', 'x']. */
function parsePath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const token = /^(?:\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  for (let rest = path; rest; ) {
    const m = token.exec(rest);
    assert.ok(m, `cannot parse ${rest} in ${path}`);
    parts.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : JSON.parse(m[3])));
    rest = rest.slice(m[0].length);
  }
  return parts;
}
