// validate.pattern / anyPattern: compiling a pattern tree once and matching resources against it
// with Kyverno's anchor semantics.
import { parseAnchor, PatternMismatch, wrapLike } from './anchors.ts';
import type { Anchor } from './anchors.ts';
import { compileValuePattern } from './value-pattern.ts';
import type { ValueMatcher } from './value-pattern.ts';
import { hasWildcard, wildcardMatch } from './wildcard.ts';
import { isObject } from './jmespath/values.ts';

interface MapEntry {
  rawKey: string;
  anchor: Anchor | null;
  /** The resource key (anchor removed; add-if-absent keys keep their plain key). */
  key: string;
  node: PatternNode;
  raw: unknown;
}

export type PatternNode =
  | { k: 'map'; raw: Record<string, unknown>; anchors: MapEntry[]; resources: MapEntry[]; trackedAnchors: string[]; metadataKey: string | null }
  | { k: 'array'; raw: unknown[]; items: PatternNode[] }
  | { k: 'scalar'; raw: unknown; match: ValueMatcher };

const ANCHOR_ORDER: Record<string, number> = { condition: 0, existence: 1, equality: 2, negation: 3 };

function hasNestedAnchors(v: unknown): boolean {
  if (isObject(v)) {
    for (const k of Object.keys(v)) {
      const a = parseAnchor(k);
      if (a && a.kind !== 'addIfNotPresent') return true;
      if (hasNestedAnchors(v[k])) return true;
    }
    return false;
  }
  if (Array.isArray(v)) return v.some(hasNestedAnchors);
  return false;
}

export function compilePattern(raw: unknown): PatternNode {
  if (isObject(raw)) {
    const anchors: MapEntry[] = [];
    const front: MapEntry[] = [];
    const back: MapEntry[] = [];
    const trackedAnchors: string[] = [];
    let metadataKey: string | null = null;
    for (const rawKey of Object.keys(raw).sort()) {
      const anchor = parseAnchor(rawKey);
      const plain = anchor && anchor.kind !== 'addIfNotPresent' ? anchor : null;
      const key = anchor ? anchor.key : rawKey;
      if (key === 'metadata') metadataKey = rawKey;
      // Add-if-absent anchors belong to mutate overlays; validation ignores them.
      if (anchor?.kind === 'addIfNotPresent') continue;
      const entry: MapEntry = { rawKey, anchor: plain, key, node: compilePattern(raw[rawKey]), raw: raw[rawKey] };
      if (plain && (plain.kind === 'condition' || plain.kind === 'existence' || plain.kind === 'negation')) trackedAnchors.push(rawKey);
      if (plain && plain.kind !== 'global') anchors.push(entry);
      else if (plain?.kind === 'global' || hasNestedAnchors(raw[rawKey])) front.unshift(entry);
      else back.push(entry);
    }
    anchors.sort((a, b) => ANCHOR_ORDER[a.anchor!.kind] - ANCHOR_ORDER[b.anchor!.kind]);
    return { k: 'map', raw, anchors, resources: [...front, ...back], trackedAnchors, metadataKey };
  }
  if (Array.isArray(raw)) return { k: 'array', raw, items: raw.map(compilePattern) };
  return { k: 'scalar', raw, match: compileValuePattern(raw) };
}

/** Per-match bookkeeping mirroring Kyverno's anchor map. */
class AnchorTracker {
  private seen = new Map<string, boolean>();
  note(node: PatternNode & { k: 'map' }, resource: Record<string, unknown>): void {
    for (const rawKey of node.trackedAnchors) {
      if (this.seen.get(rawKey)) continue;
      const key = parseAnchor(rawKey)!.key;
      this.seen.set(rawKey, Object.prototype.hasOwnProperty.call(resource, key));
    }
  }
  keysMissing(): boolean {
    for (const v of this.seen.values()) if (!v) return true;
    return false;
  }
}

export interface PatternOutcome {
  ok: boolean;
  skip: boolean;
  /** Empty when Kyverno would not report a path (an anchor key missing from the resource). */
  path: string;
  message: string;
}

/** Matches a whole resource against a compiled pattern, from the root path "/". */
export function matchPattern(resource: unknown, pattern: PatternNode): PatternOutcome {
  const tracker = new AnchorTracker();
  const err = validateElement(resource, pattern, '/', tracker);
  if (!err) return { ok: true, skip: false, path: '', message: '' };
  if (err.isSkip) return { ok: false, skip: true, path: '', message: err.message };
  if (err.kind === 'negation') return { ok: false, skip: false, path: err.path, message: err.message };
  if (tracker.keysMissing()) return { ok: false, skip: false, path: '', message: err.message };
  return { ok: false, skip: false, path: err.path, message: err.message };
}

function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

export function goValueText(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[' + v.map(goValueText).join(' ') + ']';
  if (isObject(v)) return 'map[' + Object.keys(v).sort().map((k) => `${k}:${goValueText(v[k])}`).join(' ') + ']';
  return String(v);
}

function fail(message: string, path: string): PatternMismatch {
  return new PatternMismatch('fail', message, path);
}

function validateElement(resource: unknown, pattern: PatternNode, path: string, tracker: AnchorTracker): PatternMismatch | null {
  switch (pattern.k) {
    case 'map':
      if (!isObject(resource)) {
        return fail(`pattern and resource have different structures. Path: ${path}. Expected map[string]interface {}, found ${goTypeName(resource)}`, path);
      }
      tracker.note(pattern, resource);
      return validateMap(resource, pattern, path, tracker);
    case 'array':
      if (!Array.isArray(resource)) {
        return fail(`validation rule failed at path ${path}, resource does not satisfy the expected overlay pattern`, path);
      }
      return validateArray(resource, pattern, path, tracker);
    case 'scalar': {
      if (Array.isArray(resource)) {
        for (const el of resource) {
          if (!pattern.match(el)) return fail(`resource value '${goValueText(resource)}' does not match '${goValueText(pattern.raw)}' at path ${path}`, path);
        }
        return null;
      }
      if (!pattern.match(resource)) return fail(`resource value '${goValueText(resource)}' does not match '${goValueText(pattern.raw)}' at path ${path}`, path);
      return null;
    }
  }
}

/** Expands wildcard keys under metadata.labels / metadata.annotations against the resource's keys. */
function expandMetadata(pattern: PatternNode & { k: 'map' }, resource: Record<string, unknown>): PatternNode & { k: 'map' } {
  const metaKey = pattern.metadataKey!;
  const patMeta = pattern.raw[metaKey];
  const resMeta = resource.metadata;
  if (!isObject(patMeta) || !isObject(resMeta)) return pattern;
  let changed = false;
  const newMeta: Record<string, unknown> = { ...patMeta };
  for (const tag of ['labels', 'annotations']) {
    const patTagKey = Object.keys(patMeta).find((k) => (parseAnchor(k)?.key ?? k) === tag);
    if (!patTagKey) continue;
    const patTag = patMeta[patTagKey];
    const resTag = resMeta[tag];
    if (!isObject(patTag) || !isObject(resTag)) continue;
    const out: Record<string, unknown> = {};
    let tagChanged = false;
    for (const [k, v] of Object.entries(patTag)) {
      const a = parseAnchor(k);
      const bare = a ? a.key : k;
      if (!hasWildcard(bare)) { out[k] = v; continue; }
      let matched = false;
      for (const rk of Object.keys(resTag)) {
        if (wildcardMatch(bare, rk)) { out[wrapLike(a, rk)] = v; matched = true; }
      }
      if (!matched) out[k] = v;
      else tagChanged = true;
    }
    if (tagChanged) { newMeta[patTagKey] = out; changed = true; }
  }
  if (!changed) return pattern;
  return compilePattern({ ...pattern.raw, [metaKey]: newMeta }) as PatternNode & { k: 'map' };
}

function metadataNeedsExpansion(pattern: PatternNode & { k: 'map' }): boolean {
  const patMeta = pattern.raw[pattern.metadataKey!];
  if (!isObject(patMeta)) return false;
  for (const [k, v] of Object.entries(patMeta)) {
    const bare = parseAnchor(k)?.key ?? k;
    if ((bare === 'labels' || bare === 'annotations') && isObject(v)) {
      for (const lk of Object.keys(v)) if (hasWildcard(parseAnchor(lk)?.key ?? lk)) return true;
    }
  }
  return false;
}

function validateMap(resource: Record<string, unknown>, pattern: PatternNode & { k: 'map' }, path: string, tracker: AnchorTracker): PatternMismatch | null {
  if (pattern.metadataKey !== null && metadataNeedsExpansion(pattern)) pattern = expandMetadata(pattern, resource);
  for (const e of pattern.anchors) {
    const err = handleEntry(e, resource, path, tracker);
    if (err) return err;
  }
  for (const e of pattern.resources) {
    const err = handleEntry(e, resource, path, tracker);
    if (err) return err;
  }
  return null;
}

function has(o: Record<string, unknown>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function handleEntry(e: MapEntry, resource: Record<string, unknown>, path: string, tracker: AnchorTracker): PatternMismatch | null {
  const cur = path + e.key + '/';
  const a = e.anchor;
  if (!a) {
    const value = resource[e.key];
    if (e.raw === '*') {
      if (value !== null && value !== undefined) return null;
      return fail(`${path}/${e.key} not found`, path);
    }
    return validateElement(value ?? null, e.node, cur, tracker);
  }
  switch (a.kind) {
    case 'negation':
      if (has(resource, e.key)) return new PatternMismatch('negation', `negation anchor matched in resource: ${cur} is not allowed`, cur);
      return null;
    case 'equality':
      if (!has(resource, e.key)) return null;
      return validateElement(resource[e.key], e.node, cur, tracker);
    case 'condition': {
      if (!has(resource, e.key)) return new PatternMismatch('condition', "conditional anchor mismatch: conditional anchor key doesn't exist in the resource", cur);
      const err = validateElement(resource[e.key], e.node, cur, tracker);
      if (err) return new PatternMismatch('condition', `conditional anchor mismatch: ${err.message}`, err.path);
      return null;
    }
    case 'global': {
      if (!has(resource, e.key)) return null;
      const err = validateElement(resource[e.key], e.node, cur, tracker);
      if (err) return new PatternMismatch('global', `global anchor mismatch: ${err.message}`, err.path);
      return null;
    }
    case 'existence': {
      if (!has(resource, e.key)) return null;
      const value = resource[e.key];
      if (!Array.isArray(value)) return fail(`invalid resource type: Existence ^ () anchor can be used only on list/array type resource`, cur);
      if (e.node.k !== 'array') return fail('invalid pattern type: Pattern has to be of list to compare against resource', cur);
      for (const item of e.node.items) {
        if (item.k !== 'map') return fail('invalid pattern type: Pattern has to be of type map to compare against items in resource', cur);
        let found = false;
        for (let i = 0; i < value.length; i++) {
          if (!validateElement(value[i], item, cur + i + '/', tracker)) { found = true; break; }
        }
        if (!found) return fail(`existence anchor validation failed at path ${cur}`, cur);
      }
      return null;
    }
    default:
      return validateElement(resource[e.key] ?? null, e.node, cur, tracker);
  }
}

function validateArray(resource: unknown[], pattern: PatternNode & { k: 'array' }, path: string, tracker: AnchorTracker): PatternMismatch | null {
  if (pattern.items.length === 0) return fail('pattern Array empty', path);
  const first = pattern.items[0];
  if (first.k === 'map') {
    let applied = 0;
    const skips: PatternMismatch[] = [];
    for (let i = 0; i < resource.length; i++) {
      const err = validateElement(resource[i], first, path + i + '/', tracker);
      if (err) {
        if (err.isSkip) { skips.push(err); continue; }
        return err;
      }
      applied++;
    }
    if (applied === 0 && skips.length > 0) {
      return new PatternMismatch('condition', skips.map((s) => s.message).join('; '), path);
    }
    return null;
  }
  if (first.k === 'scalar') return validateElement(resource, first, path, tracker);
  if (resource.length < pattern.items.length) {
    return fail(`validate Array failed, array length mismatch, resource Array len is ${resource.length} and pattern Array len is ${pattern.items.length}`, '');
  }
  let applied = 0;
  const skips: PatternMismatch[] = [];
  for (let i = 0; i < pattern.items.length; i++) {
    const err = validateElement(resource[i], pattern.items[i], path + i + '/', tracker);
    if (err) {
      if (err.isSkip) { skips.push(err); continue; }
      return err;
    }
    applied++;
  }
  if (applied === 0 && skips.length > 0) return new PatternMismatch('condition', skips.map((s) => s.message).join('; '), path);
  return null;
}
