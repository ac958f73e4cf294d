// A target held in memory: objects already at hand (from files, from a test, from an in-memory
// port) read as an assessment reads a live cluster. The resource types it serves are those of its
// objects, plus any given (so that a kind with no objects is served and empty, not unknown).
// apiCall answers are given by urlPath; configMap reads the ConfigMaps among the objects.
import type { ApiCallRequest, Resolvers } from '../engine/index.ts';
import { parseKindSpelling, unlistable } from '../engine/kind-spelling.ts';
import { resourceForKind } from '../engine/cel/resources.ts';
import type { ComplianceReads, KubeItem, PageOptions, Resolution, ResourceType } from './compliance-reads.ts';

const DEFAULT_PAGE_SIZE = 500;

export interface InMemoryReadsOptions {
  /** Every object of the target, each with apiVersion, kind and metadata. */
  objects: KubeItem[];
  /** Types served even without objects; the first of a kind is the preferred version. */
  types?: ResourceType[];
  /** Answers to apiCall context entries, by urlPath (GET and POST alike). */
  apiCalls?: Record<string, unknown>;
}

export class InMemoryReads implements ComplianceReads {
  private readonly objects: KubeItem[];
  private readonly types: ResourceType[];
  private readonly apiCalls: Map<string, unknown>;

  constructor(options: InMemoryReadsOptions) {
    this.objects = options.objects;
    this.types = [...(options.types ?? [])];
    for (const object of this.objects) {
      const apiVersion = String(object.apiVersion ?? '');
      const kind = String(object.kind ?? '');
      if (!this.types.some((t) => t.apiVersion === apiVersion && t.kind === kind)) this.types.push(typeOf(apiVersion, kind, object.metadata?.namespace !== undefined));
    }
    this.apiCalls = new Map(Object.entries(options.apiCalls ?? {}));
  }

  async resolveKind(spelling: string): Promise<Resolution> {
    const sel = parseKindSpelling(spelling);
    const note = unlistable(spelling, sel);
    if (note) return { types: [], note };
    const matching = this.types.filter((t) => t.kind === sel.kind && (sel.group === '*' || t.group === sel.group) && (sel.version === '*' || t.version === sel.version));
    // One version of each group (the first given); a bare kind in core and another group is core's.
    const byGroup = [...new Map(matching.reverse().map((t) => [t.group, t])).values()].reverse();
    const types = sel.group === '*' && byGroup.some((t) => t.group === '') ? byGroup.filter((t) => t.group === '') : byGroup;
    return types.length ? { types } : { types: [], note: `kind ${spelling} is not served by this cluster` };
  }

  async findType(apiVersion: string, kind: string): Promise<ResourceType | undefined> {
    return this.types.find((t) => t.apiVersion === apiVersion && t.kind === kind);
  }

  async *pages(type: ResourceType, options: PageOptions = {}): AsyncGenerator<KubeItem[]> {
    const items = this.objects.filter((o) => o.apiVersion === type.apiVersion && o.kind === type.kind && (!options.namespace || o.metadata?.namespace === options.namespace));
    const size = options.pageSize ?? DEFAULT_PAGE_SIZE;
    for (let at = 0; at < items.length; at += size) yield items.slice(at, at + size);
  }

  async namespaceLabels(): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for (const ns of this.objects) {
      if (ns.apiVersion === 'v1' && ns.kind === 'Namespace') out.set(String(ns.metadata?.name), (ns.metadata?.labels as Record<string, string> | undefined) ?? {});
    }
    return out;
  }

  resolvers(options: { onCall?: () => void } = {}): Resolvers {
    return {
      apiCall: async (request: ApiCallRequest) => {
        options.onCall?.();
        if (!request.urlPath) throw new Error('apiCall service calls are not supported by kspec background scans');
        if (!this.apiCalls.has(request.urlPath)) throw new Error(`no answer for apiCall ${request.urlPath}`);
        return this.apiCalls.get(request.urlPath);
      },
      configMap: async (namespace: string, name: string) => {
        options.onCall?.();
        return this.objects.find((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap' && o.metadata?.namespace === namespace && o.metadata?.name === name) ?? null;
      },
    };
  }
}

/** A resource type for objects of `apiVersion` and `kind` (its plural guessed as Kubernetes does without discovery). */
export function typeOf(apiVersion: string, kind: string, namespaced: boolean): ResourceType {
  const i = apiVersion.indexOf('/');
  return { group: i < 0 ? '' : apiVersion.slice(0, i), version: i < 0 ? apiVersion : apiVersion.slice(i + 1), apiVersion, kind, plural: resourceForKind(kind), namespaced, verbs: ['list'] };
}
