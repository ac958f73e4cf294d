// Kyverno's CEL resource library: `resource.Get(apiVersion, resource, namespace, name)` and
// `resource.List(apiVersion, resource, namespace)` read other objects of the cluster, by their
// plural resource name as in a URL. The lookups go through the engine's apiCall resolver (GET on
// the object's or collection's API path), so a live scan reads the target cluster and `kspec test`
// reads the test's Context file. An empty namespace means a cluster-scoped object, or every
// namespace for List.
import type { Environment as CelEnvironment } from '@marcbachmann/cel-js';
import { toCel } from '../values.ts';

/** Answers a GET of an API path with the JSON object, or null when there is none. */
export type ApiGet = (urlPath: string) => unknown;

/** The value the `resource` name holds in an expression's activation. */
export class CelResourceLookup {
  readonly get: ApiGet;
  constructor(get: ApiGet) {
    this.get = get;
  }
}

/** The API path of a collection: `/api/v1/namespaces/ns/configmaps`, `/apis/apps/v1/deployments`. */
export function collectionPath(apiVersion: string, resource: string, namespace: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}` : `${base}/${resource}`;
}

function fetched(lookup: CelResourceLookup, path: string, what: string): unknown {
  const value = lookup.get(path);
  if (value === null || value === undefined) throw new Error(`${what} not found`);
  return toCel(value);
}

export function registerResource(env: CelEnvironment): void {
  env.registerType('kyverno.ResourceLookup', CelResourceLookup);
  env.registerFunction('kyverno.ResourceLookup.Get(string, string, string, string): map', (lookup: CelResourceLookup, apiVersion: string, resource: string, namespace: string, name: string) =>
    fetched(lookup, `${collectionPath(apiVersion, resource, namespace)}/${encodeURIComponent(name)}`, `${resource} ${namespace ? `${namespace}/` : ''}${name} (${apiVersion})`),
  );
  env.registerFunction('kyverno.ResourceLookup.List(string, string, string): map', (lookup: CelResourceLookup, apiVersion: string, resource: string, namespace: string) =>
    fetched(lookup, collectionPath(apiVersion, resource, namespace), `${resource} list (${apiVersion})`),
  );
}
