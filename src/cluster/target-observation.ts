// One target cluster as a pass observes it, once, for every spec aimed at it: the policies kspec
// owns (one LIST per Kyverno kind, split in memory by each spec's labels) and the LISTs the
// compliance stage reads (resources the engine evaluates, policy reports, namespaces). Ten specs
// on one cluster used to LIST the same objects ten times, at once; now the first reader lists and
// the others wait for the same answer. An observation lives for one pass. In `kspec run` the
// trimmed lists (what the engine evaluates, namespaces) come from watched lists kept across
// passes instead (target-caches.ts): a pass with nothing new lists none of them again.
//
// It is what the port of a target hands out (ObservedTarget), and the compliance stage reads the
// cluster only through it (ComplianceReads: kinds resolved by discovery, the shared lists,
// namespace labels, the cluster data a policy's context asks for, each answer fetched once for
// the pass).
import type { KubeConfig } from './kube-config.ts';
import type { ObservedTarget } from './target-port.ts';
import type { Resolvers } from '../engine/index.ts';
import { Discovery } from './discovery.ts';
import type { Resolution } from './discovery.ts';
import { clusterResolvers } from './cluster-resolvers.ts';
import type { ResolverCache } from './cluster-resolvers.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import { isOwnedBySpec, OWNED_BY_KSPEC_SELECTOR } from '../render/ownership.ts';
import type { SpecIdentity } from '../render/ownership.ts';
import { PolicyClient } from './policy-client.ts';
import { DEFAULT_PAGE_SIZE, listPages, NAMESPACES } from './resource-lister.ts';
import type { KubeItem, ListOptions } from './resource-lister.ts';
import type { ResourceType } from './discovery.ts';
import { trimObject } from './trim.ts';
import type { WatchedLists } from './target-caches.ts';

export interface SharedListOptions extends ListOptions {
  /** Drop managedFields (the engine never reads them; report freshness does). */
  trim?: boolean;
}

export class TargetObservation implements ObservedTarget {
  readonly kc: KubeConfig;
  readonly policies: PolicyClient;
  private owned: Promise<KyvernoPolicy[]> | undefined;
  private readonly lists = new Map<string, Promise<KubeItem[]>>();
  private readonly watched: WatchedLists | undefined;
  private readonly answers: ResolverCache = new Map();

  constructor(kc: KubeConfig, watched?: WatchedLists) {
    this.kc = kc;
    this.policies = new PolicyClient(kc);
    this.watched = watched;
  }

  /** Every policy kspec owns on this cluster, whatever the spec: one LIST per kind for the pass. */
  ownedPolicies(): Promise<KyvernoPolicy[]> {
    if (!this.owned) {
      this.owned = this.policies.list(OWNED_BY_KSPEC_SELECTOR);
      // A failed LIST fails every spec that reads it in this pass, and is not kept for the next.
      this.owned.catch(() => undefined);
    }
    return this.owned;
  }

  /** The policies one spec owns, split from the shared LIST by its labels. */
  async policiesOf(spec: SpecIdentity): Promise<KyvernoPolicy[]> {
    return (await this.ownedPolicies()).filter((p) => isOwnedBySpec(p.metadata.labels, spec));
  }

  /**
   * Every object of a type (all namespaces, every page), listed once for the pass, handed out in
   * pages of `pageSize` (views of the one shared list, not copies of its objects). A reader that
   * wants one namespace gets that namespace's objects from the shared list.
   */
  async *pages(type: ResourceType, options: SharedListOptions = {}): AsyncGenerator<KubeItem[]> {
    const all = await this.all(type, options);
    const items = options.namespace ? all.filter((item) => item.metadata?.namespace === options.namespace) : all;
    const size = options.pageSize ?? DEFAULT_PAGE_SIZE;
    for (let at = 0; at < items.length; at += size) yield items.slice(at, at + size);
  }

  /** The listable types a Kyverno kind spelling names on this cluster, through its discovery. */
  resolveKind(spelling: string): Promise<Resolution> {
    return Discovery.for(this.kc).resolve(spelling);
  }

  /** The type of exactly this apiVersion and kind, when the cluster serves it. */
  findType(apiVersion: string, kind: string): Promise<ResourceType | undefined> {
    return Discovery.for(this.kc).find(apiVersion, kind);
  }

  /** apiCall and configMap answers from this cluster, each fetched once for the pass. */
  resolvers(options: { signal?: AbortSignal; onCall?: () => void } = {}): Resolvers {
    return clusterResolvers(this.kc, this.answers, options);
  }

  /** Namespace name → labels, for namespaceSelector. */
  async namespaceLabels(options: SharedListOptions = {}): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for (const ns of await this.all(NAMESPACES, { ...options, trim: true })) {
      out.set(String(ns.metadata?.name), (ns.metadata?.labels as Record<string, string> | undefined) ?? {});
    }
    return out;
  }

  private all(type: ResourceType, options: SharedListOptions): Promise<KubeItem[]> {
    const key = `${type.apiVersion}/${type.kind}|${options.labelSelector ?? ''}|${options.trim ? 'trimmed' : 'whole'}`;
    let list = this.lists.get(key);
    if (!list) {
      const watched = this.watched && options.trim && !options.labelSelector ? this.watched(type) : undefined;
      list = watched ? watched.items() : (async () => {
        const items: KubeItem[] = [];
        const { namespace: _one, trim, ...listOptions } = options;
        for await (const page of listPages(this.kc, type, listOptions)) for (const item of page) items.push(trim ? trimObject(item) : item);
        return items;
      })();
      list.catch(() => this.lists.delete(key));
      this.lists.set(key, list);
    }
    return list;
  }
}
