// Paginated LISTs of every object of a resource type across namespaces (limit + continue), and
// the labels of every namespace (for namespaceSelector).
import type { KubeConfig } from './kube-config.ts';
import { kubeJson } from './http-get.ts';
import type { ResourceType } from './discovery.ts';
import { ClusterError } from './api-error.ts';

export const DEFAULT_PAGE_SIZE = 500;

export type KubeItem = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface ListOptions {
  /** Objects per page (the `limit` parameter); default 500. */
  pageSize?: number;
  labelSelector?: string;
  /** Only this namespace (namespaced types); all namespaces when absent. */
  namespace?: string;
  signal?: AbortSignal;
  /** Told the resourceVersion of each page (the first page's is the list's, to watch from). */
  onResourceVersion?: (resourceVersion: string) => void;
}

interface ListResponse {
  items?: KubeItem[];
  metadata?: { continue?: string; resourceVersion?: string };
}

export function collectionPath(type: ResourceType, namespace?: string): string {
  const root = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  return type.namespaced && namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${type.plural}` : `${root}/${type.plural}`;
}

/**
 * Yields the objects of a type page by page. A LIST does not carry apiVersion and kind on its
 * items, so they are set here. When a continue token expires (HTTP 410) the list restarts once
 * from the beginning, and objects already yielded are not yielded again.
 */
export async function* listPages(kc: KubeConfig, type: ResourceType, options: ListOptions = {}): AsyncGenerator<KubeItem[]> {
  const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
  let token: string | undefined;
  let restarted = false;
  const yielded = new Set<string>();
  const key = (item: KubeItem) => `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
  do {
    const query = new URLSearchParams({ limit: String(limit) });
    if (token) query.set('continue', token);
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    let page: ListResponse;
    try {
      page = await kubeJson<ListResponse>(kc, `${collectionPath(type, options.namespace)}?${query}`, { signal: options.signal });
    } catch (err) {
      if ((err as ClusterError).code === 410 && token && !restarted) {
        restarted = true;
        token = undefined;
        continue;
      }
      throw err instanceof ClusterError ? new ClusterError(`list ${type.apiVersion} ${type.kind}: ${err.message}`, err.code) : err;
    }
    if (page.metadata?.resourceVersion) options.onResourceVersion?.(page.metadata.resourceVersion);
    const items = (page.items ?? []).filter((item) => !restarted || !yielded.has(key(item))).map((item) => ({ ...item, apiVersion: type.apiVersion, kind: type.kind }));
    if (!restarted) for (const item of items) yielded.add(key(item));
    yield items;
    token = page.metadata?.continue || undefined;
  } while (token);
}

/** Every object of a type (all namespaces unless `namespace` is set), with the number of pages read. */
export async function listAll(kc: KubeConfig, type: ResourceType, options: ListOptions = {}): Promise<{ items: KubeItem[]; pages: number }> {
  const items: KubeItem[] = [];
  let pages = 0;
  for await (const page of listPages(kc, type, options)) {
    pages++;
    for (const item of page) items.push(item);
  }
  return { items, pages };
}

export const NAMESPACES: ResourceType = { group: '', version: 'v1', apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, verbs: ['list'] };

/** Labels of every namespace, by name. */
export async function namespaceLabels(kc: KubeConfig, options: Omit<ListOptions, 'namespace'> = {}): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for await (const page of listPages(kc, NAMESPACES, options)) {
    for (const ns of page) {
      const meta = ns.metadata ?? {};
      out.set(String(meta.name), (meta.labels as Record<string, string> | undefined) ?? {});
    }
  }
  return out;
}
