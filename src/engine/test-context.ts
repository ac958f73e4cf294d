// The Context file of a Kyverno CLI test (`context:` in kyverno-test.yaml, kind Context): the
// cluster objects and image metadata a test stands in for the cluster, served to the engine as
// resolvers. API paths are answered like the API server answers GETs: an object by its path, a
// collection (of one namespace, or of all when the path names none) as a list of its items.
import { isObject } from './jmespath/values.ts';
import { resourceForKind } from './cel/resources.ts';
import type { Resolvers } from './types.ts';

type Obj = Record<string, unknown>;

interface ApiPath {
  apiVersion: string;
  namespace: string | null;
  resource: string;
  name: string | null;
}

/** `/api/v1/namespaces/ns/configmaps/x` → its parts; null for anything else. */
function parseApiPath(urlPath: string): ApiPath | null {
  const segments = urlPath.split('?')[0].split('/').filter((s) => s !== '').map(decodeURIComponent);
  let rest: string[];
  let apiVersion: string;
  if (segments[0] === 'api' && segments.length >= 2) [apiVersion, rest] = [segments[1], segments.slice(2)];
  else if (segments[0] === 'apis' && segments.length >= 3) [apiVersion, rest] = [`${segments[1]}/${segments[2]}`, segments.slice(3)];
  else return null;
  let namespace: string | null = null;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  if (rest.length === 1) return { apiVersion, namespace, resource: rest[0], name: null };
  if (rest.length === 2) return { apiVersion, namespace, resource: rest[0], name: rest[1] };
  return null;
}

function metadataOf(o: Obj): Obj {
  return isObject(o.metadata) ? o.metadata : {};
}

/** Resolvers answering from a Context document's `spec.resources` and `spec.images`. */
export function contextResolvers(context: Obj): Resolvers {
  const spec = isObject(context.spec) ? context.spec : {};
  const objects = (Array.isArray(spec.resources) ? spec.resources : []).filter(isObject);
  const images = (Array.isArray(spec.images) ? spec.images : []).filter(isObject);
  const inPath = (o: Obj, path: ApiPath) =>
    o.apiVersion === path.apiVersion && resourceForKind(String(o.kind ?? '')) === path.resource && (path.namespace === null || (metadataOf(o).namespace ?? '') === path.namespace);
  return {
    apiCall(request) {
      const path = request.urlPath && (request.method ?? 'GET').toUpperCase() === 'GET' ? parseApiPath(request.urlPath) : null;
      if (!path) return null;
      const found = objects.filter((o) => inPath(o, path));
      if (path.name !== null) return found.find((o) => metadataOf(o).name === path.name) ?? null;
      const kind = String(found[0]?.kind ?? '');
      return { apiVersion: path.apiVersion, kind: kind ? `${kind}List` : 'List', metadata: {}, items: found };
    },
    configMap(namespace, name) {
      return objects.find((o) => o.kind === 'ConfigMap' && metadataOf(o).namespace === namespace && metadataOf(o).name === name) ?? null;
    },
    imageData(reference) {
      return images.find((i) => i.image === reference) ?? null;
    },
  };
}
