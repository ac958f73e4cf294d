// Kind → API resource resolution through the API server's discovery (/api/v1 and /apis, the
// preferred version of each group), with Kyverno's kind spellings: "Pod", "v1/Pod",
// "apps/v1/Deployment", "apps/*/Deployment". Subresources ("Pod/exec") and wildcard kinds ("*",
// "Pod*") cannot be listed: they resolve to nothing, with a note saying so.
import type { KubeConfig } from './kube-config.ts';
import { kubeJson } from './http-get.ts';
import { parseKindSpelling, unlistable } from '../engine/kind-spelling.ts';

export { parseKindSpelling } from '../engine/kind-spelling.ts';
export type { KindSpelling } from '../engine/kind-spelling.ts';

export interface ResourceType {
  group: string;
  version: string;
  /** `v1` or `group/version`. */
  apiVersion: string;
  kind: string;
  /** The resource name in URLs (`pods`). */
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

export interface Resolution {
  types: ResourceType[];
  /** Why nothing (or less than asked) was resolved: subresource, wildcard, unknown kind. */
  note?: string;
}

interface APIResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

interface APIGroupList {
  groups: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion?: { groupVersion: string; version: string } }[];
}

/** How long a discovery snapshot is reused; new CRDs show up after this. */
export const DISCOVERY_TTL_MS = 5 * 60_000;

/**
 * What one API server's discovery answered, as kept between runs (see discovery-file.ts): the
 * group list and every group/version read, with when the group list was read.
 */
export interface DiscoveryRecord {
  loadedAt: number;
  groups: APIGroupList;
  versions: Record<string, ResourceType[]>;
}

export class Discovery {
  readonly #kc: KubeConfig;
  #snapshot: Promise<Snapshot> | undefined;
  #loadedAt = 0;
  readonly #versions = new Map<string, Promise<ResourceType[]>>();
  /** The answers as they arrived, to be kept between runs (failed group/versions are not). */
  #groups: APIGroupList | undefined;
  readonly #answered = new Map<string, ResourceType[]>();

  constructor(kc: KubeConfig) {
    this.#kc = kc;
  }

  /**
   * One Discovery per KubeConfig object, so a pass shares the cache. A new one starts from what
   * an earlier run discovered of the same API server (see remember), while that is fresh.
   */
  static for(kc: KubeConfig): Discovery {
    let d = cache.get(kc);
    if (!d) {
      d = new Discovery(kc);
      const server = serverOf(kc);
      const record = remembered.get(server);
      if (record) d.#takeUp(record);
      cache.set(kc, d);
      latest.set(server, d);
    }
    return d;
  }

  /** What was discovered of each API server reached through `for`, while younger than the TTL. */
  static records(now = Date.now()): Map<string, DiscoveryRecord> {
    const out = new Map<string, DiscoveryRecord>();
    for (const [server, d] of latest) {
      if (d.#groups && now - d.#loadedAt < DISCOVERY_TTL_MS) out.set(server, { loadedAt: d.#loadedAt, groups: d.#groups, versions: Object.fromEntries(d.#answered) });
    }
    return out;
  }

  /** What an earlier run discovered, by API server: Discoveries made from now on start from it. */
  static remember(records: Map<string, DiscoveryRecord>): void {
    remembered = records;
  }

  #takeUp(record: DiscoveryRecord): void {
    if (!(Date.now() - record.loadedAt < DISCOVERY_TTL_MS)) return;
    const snapshot = this.#fromAnswers(record.groups, (group, version) => record.versions[`${group}/${version}`]);
    if (!snapshot) return;
    this.#groups = record.groups;
    this.#loadedAt = record.loadedAt;
    for (const [key, types] of Object.entries(record.versions)) {
      this.#answered.set(key, types);
      this.#versions.set(key, Promise.resolve(types));
    }
    this.#snapshot = Promise.resolve(snapshot);
  }

  /** Forgets what was discovered (e.g. after installing a CRD). */
  invalidate(): void {
    this.#snapshot = undefined;
    this.#groups = undefined;
    this.#versions.clear();
    this.#answered.clear();
  }

  async #load(): Promise<Snapshot> {
    if (this.#snapshot && Date.now() - this.#loadedAt < DISCOVERY_TTL_MS) return this.#snapshot;
    this.#loadedAt = Date.now();
    this.#groups = undefined;
    this.#versions.clear();
    this.#answered.clear();
    const load = async (): Promise<Snapshot> => {
      const groups = await kubeJson<APIGroupList>(this.#kc, '/apis');
      const preferred = preferredVersions(groups);
      const lists = new Map<string, ResourceType[]>();
      await Promise.all([...preferred].map(async ([group, version]) => lists.set(`${group}/${version}`, await this.#groupVersion(group, version))));
      this.#groups = groups;
      return this.#fromAnswers(groups, (group, version) => lists.get(`${group}/${version}`))!;
    };
    this.#snapshot = load();
    this.#snapshot.catch(() => {
      this.#snapshot = undefined;
    });
    return this.#snapshot;
  }

  /** The snapshot of a group list and its preferred versions' resources; undefined when one is not known. */
  #fromAnswers(groups: APIGroupList, resourcesOf: (group: string, version: string) => ResourceType[] | undefined): Snapshot | undefined {
    const versionsOf = new Map<string, string[]>([['', ['v1']]]);
    for (const g of groups.groups ?? []) versionsOf.set(g.name, g.versions.map((v) => v.version));
    const resources: ResourceType[] = [];
    const preferred = preferredVersions(groups);
    for (const [group, version] of preferred) {
      const list = resourcesOf(group, version);
      if (!list) return undefined;
      resources.push(...list);
    }
    return { versionsOf, preferred, resources };
  }

  #groupVersion(group: string, version: string): Promise<ResourceType[]> {
    const key = `${group}/${version}`;
    let p = this.#versions.get(key);
    if (!p) {
      const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      p = kubeJson<APIResourceList>(this.#kc, path).then(
        (list) => {
          const types = (list.resources ?? [])
            .filter((r) => !r.name.includes('/'))
            .map((r) => ({
              group,
              version,
              apiVersion: group === '' ? version : `${group}/${version}`,
              kind: r.kind,
              plural: r.name,
              namespaced: r.namespaced,
              verbs: r.verbs ?? [],
            }));
          this.#answered.set(key, types);
          return types;
        },
        // An aggregated API that is down must not break discovery of the rest.
        () => [],
      );
      this.#versions.set(key, p);
    }
    return p;
  }

  /** Every listable resource type at its group's preferred version. */
  async preferredResources(): Promise<ResourceType[]> {
    return (await this.#load()).resources;
  }

  /** True when the API server serves this group/version (e.g. `wgpolicyk8s.io/v1alpha2`). */
  async serves(groupVersion: string): Promise<boolean> {
    const snap = await this.#load();
    const i = groupVersion.indexOf('/');
    const group = i < 0 ? '' : groupVersion.slice(0, i);
    const version = i < 0 ? groupVersion : groupVersion.slice(i + 1);
    return snap.versionsOf.get(group)?.includes(version) ?? false;
  }

  /** The resource type of a group/version and kind, at exactly that version; undefined when not served. */
  async find(apiVersion: string, kind: string): Promise<ResourceType | undefined> {
    const i = apiVersion.indexOf('/');
    const group = i < 0 ? '' : apiVersion.slice(0, i);
    const version = i < 0 ? apiVersion : apiVersion.slice(i + 1);
    if (!(await this.serves(apiVersion))) return undefined;
    return (await this.#groupVersion(group, version)).find((r) => r.kind === kind);
  }

  /** Resolves one Kyverno kind spelling to the resource types to list. */
  async resolve(spelling: string): Promise<Resolution> {
    const sel = parseKindSpelling(spelling);
    const note = unlistable(spelling, sel);
    if (note) return { types: [], note };
    const snap = await this.#load();
    const groups = sel.group === '*' ? [...snap.versionsOf.keys()] : snap.versionsOf.has(sel.group) ? [sel.group] : [];
    const types: ResourceType[] = [];
    for (const group of groups) {
      if (/[*?]/.test(group)) continue;
      if (sel.version === '*') {
        const found = snap.resources.find((r) => r.group === group && r.kind === sel.kind);
        if (found) types.push(found);
      } else if (snap.versionsOf.get(group)?.includes(sel.version)) {
        const found = (await this.#groupVersion(group, sel.version)).find((r) => r.kind === sel.kind);
        if (found) types.push(found);
      }
    }
    if (types.length === 0 && sel.version === '*') {
      // Not at any preferred version: older versions still serve some kinds (CronJob is only
      // batch/v1beta1 on Kubernetes 1.20, where batch's preferred version v1 has just Job).
      for (const group of groups) {
        if (/[*?]/.test(group)) continue;
        for (const version of snap.versionsOf.get(group) ?? []) {
          const found = (await this.#groupVersion(group, version)).find((r) => r.kind === sel.kind);
          if (found) {
            types.push(found);
            break;
          }
        }
      }
    }
    // A bare kind served by several groups (Event: core and events.k8s.io) is the same
    // objects twice; Kyverno matches the core one first, so keep only that when present.
    const unique = sel.group === '*' && types.length > 1 && types.some((t) => t.group === '') ? types.filter((t) => t.group === '') : types;
    const listable = unique.filter((t) => t.verbs.length === 0 || t.verbs.includes('list'));
    if (listable.length === 0) return { types: [], note: `kind ${spelling} is not served by this cluster${unique.length ? ' as a listable resource' : ''}` };
    return { types: listable };
  }
}

interface Snapshot {
  versionsOf: Map<string, string[]>;
  preferred: Map<string, string>;
  resources: ResourceType[];
}

const cache = new WeakMap<KubeConfig, Discovery>();
/** The newest Discovery of each API server, whose answers a run keeps for the next. */
const latest = new Map<string, Discovery>();
let remembered = new Map<string, DiscoveryRecord>();

function serverOf(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? '';
}

/** Core v1 and each group's preferred version. */
function preferredVersions(groups: APIGroupList): Map<string, string> {
  const preferred = new Map<string, string>([['', 'v1']]);
  for (const g of groups.groups ?? []) preferred.set(g.name, g.preferredVersion?.version ?? g.versions[0]?.version);
  return preferred;
}
