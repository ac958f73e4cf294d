import { isSameAsAbsent, normalizeLive, tableFor } from './normalizers.ts';
import type { KindTable } from './normalizers.ts';
import { PROVENANCE_ANNOTATIONS } from '../render/ownership.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import type { FieldChange } from '../api/types.ts';
import { sameJson } from '../util/same-json.ts';

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAbsent = (v: Json): boolean => v === undefined || v === null;

/**
 * Both sides of a comparison, as kspec compares them:
 * - metadata: only the labels and annotations kspec sets (minus provenance). Everything else in
 *   metadata belongs to the API server or to other managers (Argo CD, Flux, people), and is not
 *   looked at.
 * - spec: the whole of it. The desired side is the spec as the API server stores it (learned by
 *   a dry run; the desired spec itself when that is unknown), and a field that only one side has
 *   is drift unless it means the same as its absence (see normalizers.ts). So an exclude, a
 *   precondition or a rule-level failure action added out of band is seen.
 * status is Kyverno's and never compared.
 */
export interface ComparedPair {
  desired: JsonObject;
  live: JsonObject;
}

export function comparedPair(desired: KyvernoPolicy, live: KyvernoPolicy, storedSpec?: JsonObject): ComparedPair {
  const labels = desired.metadata.labels ?? {};
  const annotations = Object.fromEntries(Object.entries(desired.metadata.annotations ?? {}).filter(([key]) => !PROVENANCE_ANNOTATIONS.has(key)));
  const expected = storedSpec ?? desired.spec;
  const liveSpecRaw = live.spec ?? {};
  // The usual case, live exactly as the server stored it, needs no aligning.
  const [spec, liveSpec] = sameJson(expected, liveSpecRaw) ? [expected, liveSpecRaw] : align(tableFor(desired.kind), 'spec', expected, liveSpecRaw);
  return {
    desired: { metadata: { labels, annotations }, spec: spec ?? {} },
    live: { metadata: { labels: pick(live.metadata.labels, labels), annotations: pick(live.metadata.annotations, annotations) }, spec: liveSpec ?? {} },
  };
}

/** The changed fields between desired and live, empty when in sync. */
export function compareDesiredToLive(desired: KyvernoPolicy, live: KyvernoPolicy, storedSpec?: JsonObject): FieldChange[] {
  const pair = comparedPair(desired, live, storedSpec);
  const changes: FieldChange[] = [];
  collectChanges(pair.desired, pair.live, '', changes);
  return changes;
}

/**
 * The compared pair as people read it (diffs, adopt pull requests): without the defaults the
 * desired policy does not spell out, on either side.
 */
export function shownPair(desired: KyvernoPolicy, live: KyvernoPolicy, storedSpec?: JsonObject): ComparedPair {
  const pair = comparedPair(desired, live, storedSpec);
  const table = tableFor(desired.kind);
  return {
    desired: { ...pair.desired, spec: withoutUnwritten(table, 'spec', pair.desired.spec, desired.spec) },
    live: { ...pair.live, spec: withoutUnwritten(table, 'spec', pair.live.spec, desired.spec) },
  };
}

/**
 * Drops what a reader of a diff need not see: fields the desired policy does not spell out
 * whose value means the same as their absence (the defaults the server form added).
 */
function withoutUnwritten(table: KindTable, path: string, value: Json, written: Json): Json {
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const reference = isObject(written) ? written[key] : undefined;
      const at = join(path, key);
      if (reference === undefined && isSameAsAbsent(table, at, item)) continue;
      out[key] = withoutUnwritten(table, at, item, reference);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((item, i) => withoutUnwritten(table, `${path}[${i}]`, item, Array.isArray(written) ? written[i] : undefined));
  return value;
}

/** Lists whose items a normalizer removed: a change inside them is reported for the whole list, since live indexes differ. */
const reindexed = new WeakSet<Json[]>();

/**
 * Normalizes live against expected, and drops from either side each field the other side lacks
 * whose value means the same as its absence. What remains differs only where it is drift.
 */
function align(table: KindTable, path: string, expected: Json, live: Json): [Json, Json] {
  const normalized = normalizeLive(table, path, expected, live);
  if (Array.isArray(live) && Array.isArray(normalized) && normalized !== live) reindexed.add(normalized);
  live = normalized;
  if (isObject(expected) && isObject(live)) {
    const outExpected: JsonObject = {};
    const outLive: JsonObject = {};
    for (const key of new Set([...Object.keys(expected), ...Object.keys(live)])) {
      const at = join(path, key);
      const e = expected[key];
      const l = live[key];
      if (isAbsent(e) || isAbsent(l)) {
        if (!isAbsent(e) && !isSameAsAbsent(table, at, e)) outExpected[key] = e;
        if (!isAbsent(l) && !isSameAsAbsent(table, at, l)) outLive[key] = l;
        continue;
      }
      [outExpected[key], outLive[key]] = align(table, at, e, l);
    }
    return [outExpected, outLive];
  }
  if (Array.isArray(expected) && Array.isArray(live) && expected.length === live.length) {
    const pairs = expected.map((item, i) => align(table, `${path}[${i}]`, item, live[i]));
    const outLive = pairs.map(([, l]) => l);
    if (reindexed.has(live)) reindexed.add(outLive);
    return [pairs.map(([e]) => e), outLive];
  }
  return [expected, live];
}

function collectChanges(expected: Json, live: Json, path: string, changes: FieldChange[]): void {
  if (isObject(expected) && isObject(live)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(live)])) {
      const at = join(path, key);
      if (!(key in live)) changes.push(change(at, expected[key], undefined));
      else if (!(key in expected)) changes.push(change(at, undefined, live[key]));
      else collectChanges(expected[key], live[key], at, changes);
    }
    return;
  }
  if (Array.isArray(expected) && Array.isArray(live) && expected.length === live.length) {
    if (reindexed.has(live) && !sameJson(expected, live)) return void changes.push(change(path, expected, live));
    expected.forEach((item, i) => {
      const at = `${path}[${i}]`;
      // Another rule in this place (reordered, renamed): the item is the change, not its fields.
      if (isObject(item) && isObject(live[i]) && typeof item.name === 'string' && item.name !== live[i].name) {
        changes.push(change(at, item, live[i]));
      } else {
        collectChanges(item, live[i], at, changes);
      }
    });
    return;
  }
  if (!sameJson(expected, live)) changes.push(change(path, expected, live));
}


function pick(from: Record<string, string> | undefined, wanted: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(wanted)) if (from && key in from) out[key] = from[key];
  return out;
}

function change(path: string, desired: Json, live: Json): FieldChange {
  return {
    path,
    ...(desired === undefined ? {} : { desired: JSON.stringify(desired) }),
    ...(live === undefined ? {} : { live: JSON.stringify(live) }),
  };
}

/** `spec.rules[0].validate`, with keys that are not plain names quoted: `metadata.labels["kspec.io/spec"]`. */
export function join(path: string, key: string): string {
  const part = /^[A-Za-z_][\w-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!path) return part;
  return part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}
