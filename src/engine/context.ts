// The JSON context variables resolve against: request.*, serviceAccountName, images, values, and
// rule `context:` entries (variable, configMap, apiCall, imageRegistry, globalReference) loaded
// through injectable resolvers.
import { isObject } from './jmespath/values.ts';
import { search, NotFoundError } from './jmespath/index.ts';
import { setContextValue, substituteAll, substituteString } from './variables.ts';
import type { Context } from './variables.ts';
import type { ContextEntry, EvaluationContext, Resolvers } from './types.ts';

/** Thrown when a resolver returned a promise during synchronous evaluation. */
export class PendingResolution extends Error {
  key: string;
  promise: Promise<unknown>;
  constructor(key: string, promise: Promise<unknown>) {
    super(`context entry needs an asynchronous lookup (${key}); use evaluatePolicyAsync`);
    this.key = key;
    this.promise = promise;
  }
}

/** Resolved asynchronous lookups, keyed by request, shared across re-evaluations. */
export type ResolutionCache = Map<string, unknown>;

interface ImageInfo { registry: string; name: string; path: string; tag: string; digest: string; reference: string; referenceWithTag: string }

export function parseImage(image: string): ImageInfo {
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  let tag = '';
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  let registry = 'docker.io';
  const first = rest.indexOf('/');
  if (first >= 0) {
    const head = rest.slice(0, first);
    if (head.includes('.') || head.includes(':') || head === 'localhost') { registry = head; rest = rest.slice(first + 1); }
  }
  const path = rest;
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (!tag && !digest) tag = 'latest';
  const base = `${registry}/${path}`;
  const reference = digest ? `${base}@${digest}` : `${base}:${tag}`;
  return { registry, name, path, tag, digest, reference, referenceWithTag: `${base}:${tag}` };
}

function imagesOf(resource: Record<string, unknown>): Record<string, unknown> | null {
  let spec: unknown = resource.spec;
  const kind = resource.kind;
  if (kind === 'CronJob') spec = (((spec as Context)?.jobTemplate as Context)?.spec as Context)?.template;
  else if (kind !== 'Pod') spec = (spec as Context)?.template;
  if (kind !== 'Pod') spec = isObject(spec) ? spec.spec : null;
  if (!isObject(spec)) return null;
  const out: Record<string, unknown> = {};
  for (const group of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = spec[group];
    if (!Array.isArray(list) || list.length === 0) continue;
    const byName: Record<string, unknown> = {};
    for (const c of list) {
      if (isObject(c) && typeof c.image === 'string' && typeof c.name === 'string') byName[c.name] = parseImage(c.image);
    }
    out[group] = byName;
  }
  return Object.keys(out).length ? out : null;
}

/** Builds the per-resource base context (shared, read-only, by all rules of an evaluation). */
export function buildBaseContext(resource: Record<string, unknown>, ectx: EvaluationContext): Context {
  const operation = ectx.operation ?? 'CREATE';
  const meta = isObject(resource.metadata) ? resource.metadata : {};
  const apiVersion = String(resource.apiVersion ?? '');
  const slash = apiVersion.indexOf('/');
  const userInfo = ectx.userInfo ?? {};
  const request: Record<string, unknown> = {
    operation,
    object: operation === 'DELETE' ? null : resource,
    oldObject: operation === 'DELETE' ? resource : ectx.oldObject ?? null,
    userInfo: { username: userInfo.username ?? '', uid: userInfo.uid ?? '', groups: userInfo.groups ?? [] },
    roles: ectx.roles ?? [],
    clusterRoles: ectx.clusterRoles ?? [],
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    kind: { group: slash < 0 ? '' : apiVersion.slice(0, slash), version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1), kind: resource.kind ?? '' },
  };
  const ctx: Context = { request };
  const username = userInfo.username ?? '';
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  ctx.serviceAccountName = sa ? sa[2] : '';
  ctx.serviceAccountNamespace = sa ? sa[1] : '';
  const images = imagesOf(resource);
  if (images) ctx.images = images;
  for (const [k, v] of Object.entries(ectx.variables ?? {})) setContextValue(ctx, k, v);
  return ctx;
}

/**
 * A GET of an API path through the apiCall resolver, cached like context entries: what the CEL
 * resource library reads. Undefined when nothing can answer API calls.
 */
export function apiGetThrough(resolvers: Resolvers | undefined, cache: ResolutionCache | undefined): ((urlPath: string) => unknown) | undefined {
  if (!resolvers?.apiCall) return undefined;
  return (urlPath) => resolveWith(cache, `apiCall:${JSON.stringify({ urlPath, method: 'GET' })}`, () => resolvers.apiCall!({ urlPath, method: 'GET' }));
}

function resolveWith(cache: ResolutionCache | undefined, key: string, produce: () => unknown): unknown {
  if (cache?.has(key)) return cache.get(key);
  const value = produce();
  if (value instanceof Promise) throw new PendingResolution(key, value);
  cache?.set(key, value);
  return value;
}

function applyJmesPath(entry: Record<string, unknown>, value: unknown, ctx: Context): unknown {
  const jp = entry.jmesPath;
  if (typeof jp !== 'string' || jp.trim() === '') return value;
  const expr = String(substituteString(jp, ctx));
  try {
    return search(expr, value);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

function withDefault(entry: Record<string, unknown>, value: unknown, ctx: Context, name: string): unknown {
  if (value !== null && value !== undefined) return value;
  if (entry.default !== undefined) return substituteAll(entry.default, ctx);
  throw new Error(`failed to add context entry ${name}: no value and no default`);
}

/**
 * Loads context entries into `ctx` (mutating it). Entries whose name is already provided by
 * values (`skip`) are not loaded: values mock context entries as in the Kyverno CLI.
 */
export function loadContextEntries(entries: ContextEntry[], ctx: Context, resolvers: Resolvers | undefined, skip: Set<string>, cache?: ResolutionCache): void {
  for (const { name, raw } of entries) {
    if (skip.has(name)) continue;
    if (isObject(raw.variable)) {
      const v = raw.variable;
      let value: unknown = v.value !== undefined ? substituteAll(v.value, ctx) : undefined;
      if (typeof v.jmesPath === 'string' && v.jmesPath.trim() !== '') {
        value = applyJmesPath(v, value === undefined ? ctx : value, ctx);
      }
      setContextValue(ctx, name, withDefault(v, value ?? null, ctx, name));
      continue;
    }
    if (isObject(raw.configMap)) {
      const cm = substituteAll(raw.configMap, ctx) as Record<string, unknown>;
      const ns = String(cm.namespace ?? '');
      const cmName = String(cm.name ?? '');
      if (!resolvers?.configMap) throw new Error(`failed to load context entry ${name}: no configMap resolver for ${ns}/${cmName}`);
      const value = resolveWith(cache, `configMap:${ns}/${cmName}`, () => resolvers.configMap!(ns, cmName));
      if (value === null || value === undefined) throw new Error(`failed to load context entry ${name}: configmap ${ns}/${cmName} not found`);
      setContextValue(ctx, name, value);
      continue;
    }
    if (isObject(raw.apiCall)) {
      const call = raw.apiCall;
      const req = {
        urlPath: typeof call.urlPath === 'string' ? String(substituteString(call.urlPath, ctx)) : undefined,
        method: typeof call.method === 'string' ? call.method : 'GET',
        data: call.data !== undefined ? substituteAll(call.data, ctx) : undefined,
        service: isObject(call.service) ? (substituteAll(call.service, ctx) as { url: string }) : undefined,
      };
      if (!resolvers?.apiCall) {
        if (call.default !== undefined) { setContextValue(ctx, name, substituteAll(call.default, ctx)); continue; }
        throw new Error(`failed to load context entry ${name}: no apiCall resolver for ${req.urlPath ?? req.service?.url ?? ''}`);
      }
      const value = resolveWith(cache, `apiCall:${JSON.stringify(req)}`, () => resolvers.apiCall!(req));
      setContextValue(ctx, name, withDefault(call, applyJmesPath(call, value, ctx), ctx, name));
      continue;
    }
    if (isObject(raw.imageRegistry)) {
      const ir = raw.imageRegistry;
      const ref = String(substituteString(String(ir.reference ?? ''), ctx));
      if (!resolvers?.imageData) throw new Error(`failed to load context entry ${name}: no imageRegistry resolver for ${ref}`);
      const value = resolveWith(cache, `image:${ref}`, () => resolvers.imageData!(ref));
      setContextValue(ctx, name, withDefault(ir, applyJmesPath(ir, value, ctx), ctx, name));
      continue;
    }
    if (isObject(raw.globalReference)) {
      const gr = raw.globalReference;
      const ref = String(substituteString(String(gr.name ?? ''), ctx));
      if (!resolvers?.globalContext) throw new Error(`failed to load context entry ${name}: no globalContext resolver for ${ref}`);
      const value = resolveWith(cache, `global:${ref}`, () => resolvers.globalContext!(ref));
      setContextValue(ctx, name, withDefault(gr, applyJmesPath(gr, value, ctx), ctx, name));
      continue;
    }
    throw new Error(`context entry ${name}: unsupported type`);
  }
}
