// The cluster data a policy's context reads during a background scan, from the target's API
// server: `apiCall` with a urlPath is a GET (or a POST with the entry's data); `configMap` reads
// the ConfigMap (null when there is none). Each answer is fetched once and shared by every reader
// of the same cache (one per target and pass). Service calls, image registries and global context
// are not available in a background scan here.
import type { KubeConfig } from './kube-config.ts';
import type { ApiCallRequest, Resolvers } from '../engine/index.ts';
import { kubeJson } from './http-get.ts';
import { ClusterError } from './api-error.ts';

/** Answers already asked for, by request. */
export type ResolverCache = Map<string, Promise<unknown>>;

export function clusterResolvers(kc: KubeConfig, cache: ResolverCache, options: { signal?: AbortSignal; onCall?: () => void } = {}): Resolvers {
  const { signal, onCall } = options;
  const once = (key: string, produce: () => Promise<unknown>): Promise<unknown> => {
    let p = cache.get(key);
    if (!p) {
      onCall?.();
      p = produce();
      cache.set(key, p);
      p.catch(() => undefined);
    }
    return p;
  };
  return {
    apiCall(request: ApiCallRequest) {
      if (!request.urlPath) return Promise.reject(new Error('apiCall service calls are not supported by kspec background scans'));
      const method = request.method?.toUpperCase() === 'POST' ? 'POST' : 'GET';
      const body = method === 'POST' ? apiCallBody(request.data) : undefined;
      return once(`${method} ${request.urlPath} ${JSON.stringify(body ?? null)}`, () => kubeJson(kc, request.urlPath!, { method, body, signal }));
    },
    configMap(namespace: string, name: string) {
      return once(`configmap ${namespace}/${name}`, () =>
        kubeJson(kc, `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`, { signal }).catch((err: unknown) => {
          if ((err as ClusterError).code === 404) return null;
          throw err;
        }),
      );
    },
  };
}

/** Kyverno's apiCall `data` is a list of {key, value}; the request body is the object they make. */
function apiCallBody(data: unknown): unknown {
  if (!Array.isArray(data)) return data ?? {};
  const out: Record<string, unknown> = {};
  for (const d of data) if (d && typeof d === 'object' && 'key' in d) out[String((d as { key: unknown }).key)] = (d as { value?: unknown }).value;
  return out;
}
