// What an assessment reads of a target cluster, and nothing more: the resource types a policy's
// kinds name, the objects of a type, namespace labels, and answers to the cluster data a policy's
// context asks for (apiCall, configMap). The compliance stage reads the target only through this,
// so it runs the same over the live observation of a pass (TargetObservation in src/cluster: one
// LIST per type per target, or watched lists in `kspec run`) and over objects held in memory
// (InMemoryReads, for tests and anything that has the objects already).
import type { Resolvers } from '../engine/index.ts';
// Types only: the shapes of Kubernetes discovery and objects, not the code that reads them.
import type { Resolution, ResourceType } from '../cluster/discovery.ts';
import type { KubeItem } from '../cluster/resource-lister.ts';

export type { Resolution, ResourceType } from '../cluster/discovery.ts';
export type { KubeItem } from '../cluster/resource-lister.ts';

export interface ReadOptions {
  signal?: AbortSignal;
  /** Objects per page, where the target pages (a LIST's `limit`). */
  pageSize?: number;
}

export interface PageOptions extends ReadOptions {
  /** Only this namespace (namespaced types); all namespaces when absent. */
  namespace?: string;
  /** Objects may come without managedFields (the engine never reads them; report freshness does). */
  trim?: boolean;
}

export interface ComplianceReads {
  /** The listable types a Kyverno kind spelling ("Pod", "apps/v1/Deployment", "apps/*\/Deployment") names here, or a note saying why none. */
  resolveKind(spelling: string): Promise<Resolution>;
  /** The type of exactly this apiVersion and kind, when the target serves it. */
  findType(apiVersion: string, kind: string): Promise<ResourceType | undefined>;
  /** Every object of a type, page by page; each object carries apiVersion and kind. */
  pages(type: ResourceType, options?: PageOptions): AsyncIterable<KubeItem[]>;
  /** Namespace name → labels, for namespaceSelector and CEL's namespaceObject. */
  namespaceLabels(options?: ReadOptions): Promise<Map<string, Record<string, string>>>;
  /**
   * Answers to a policy's apiCall and configMap context entries. `onCall` is told of each
   * answer that had to be fetched (not one shared with an earlier reader).
   */
  resolvers(options?: { signal?: AbortSignal; onCall?: () => void }): Resolvers;
}
