import { normalizeLive } from './normalizers.ts';
import { PROVENANCE_ANNOTATIONS } from '../render/ownership.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import type { FieldChange } from '../api/types.ts';

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What kspec compares: the spec, and the labels and annotations it sets, minus provenance.
 * Everything else in metadata is the server's (uid, resourceVersion, managedFields, ...).
 */
export function comparedPart(desired: KyvernoPolicy): Record<string, Json> {
  const annotations = Object.fromEntries(
    Object.entries(desired.metadata.annotations ?? {}).filter(([key]) => !PROVENANCE_ANNOTATIONS.has(key)),
  );
  return { metadata: { labels: desired.metadata.labels ?? {}, annotations }, spec: desired.spec };
}

/**
 * Desired-driven comparison. Every field kspec sets must have the same value live; fields that
 * only the live object has belong to other managers (Kyverno's defaults, other controllers) and
 * are ignored, so kspec never flaps with them. Lists are compared whole: an added or removed
 * rule is drift. Returns the changed fields, empty when in sync.
 */
export function compareDesiredToLive(desired: KyvernoPolicy, live: KyvernoPolicy): FieldChange[] {
  const changes: FieldChange[] = [];
  walk(comparedPart(desired), live as unknown as Json, '', changes);
  return changes;
}

/** The live object cut down to the shape of the desired one, after normalizing: for diffs. */
export function projectLive(desired: Json, live: Json, path = ''): Json {
  live = normalizeLive(path, desired, live);
  if (isObject(desired) && isObject(live)) {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(desired)) {
      if (key in live) out[key] = projectLive(desired[key], live[key], join(path, key));
    }
    return out;
  }
  if (Array.isArray(desired) && Array.isArray(live)) {
    return live.map((item, i) => (i < desired.length ? projectLive(desired[i], item, `${path}[${i}]`) : item));
  }
  return live;
}

function walk(desired: Json, live: Json, path: string, changes: FieldChange[]): void {
  if (desired === null || desired === undefined) return; // the server drops nulls: nothing to hold
  live = normalizeLive(path, desired, live);
  if (isObject(desired)) {
    if (!isObject(live)) return void changes.push(change(path, desired, live));
    for (const key of Object.keys(desired)) walk(desired[key], live[key], join(path, key), changes);
    return;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return void changes.push(change(path, desired, live));
    desired.forEach((item, i) => walk(item, live[i], `${path}[${i}]`, changes));
    return;
  }
  if (!sameScalar(desired, live)) changes.push(change(path, desired, live));
}

function sameScalar(desired: Json, live: Json): boolean {
  return desired === live;
}

function change(path: string, desired: Json, live: Json): FieldChange {
  return {
    path,
    desired: JSON.stringify(desired),
    ...(live === undefined ? {} : { live: JSON.stringify(live) }),
  };
}

function join(path: string, key: string): string {
  const part = /^[A-Za-z_][\w-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!path) return part;
  return part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}
