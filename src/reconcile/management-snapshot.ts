// kspec's objects in the management cluster as the pass found them: every ClusterSpecification
// (kspec's mirrors of Git specs and the specs applied to the cluster), target mirrors and both
// kinds of report, one LIST per kind at the start of the pass instead of a GET per spec.
// Publishing compares with this to write only what changed.
import type { ClusterSpecification, ClusterTarget, ComplianceReport, DriftReport } from '../api/types.ts';
import type { ManagementPort } from '../cluster/management-port.ts';
import type { Logger } from '../log.ts';

type Listed = ClusterSpecification | ClusterTarget | ComplianceReport | DriftReport;
type Kind = Listed['kind'];

export class ManagementSnapshot {
  private readonly store: ManagementPort;
  /** By kind, then namespace/name; a kind that could not be listed is absent (read one by one). */
  private readonly byKind = new Map<Kind, Map<string, Listed>>();
  /** Why the ClusterSpecifications could not be listed: then nobody knows who owns which spec. */
  specsError?: string;

  private constructor(store: ManagementPort) {
    this.store = store;
  }

  /**
   * Lists every ClusterSpecification and kspec's objects of the other three kinds; a kind that
   * fails is read per object later.
   */
  static async observe(store: ManagementPort, log: Logger): Promise<ManagementSnapshot> {
    const snapshot = new ManagementSnapshot(store);
    const kinds: Kind[] = ['ClusterSpecification', 'ClusterTarget', 'DriftReport', 'ComplianceReport'];
    await Promise.all(
      kinds.map(async (kind) => {
        try {
          const items = kind === 'ClusterSpecification' ? await store.listAll<Listed>(kind) : await store.listManaged<Listed>(kind);
          snapshot.byKind.set(kind, new Map(items.map((item) => [`${item.metadata.namespace}/${item.metadata.name}`, item])));
        } catch (err) {
          if (kind === 'ClusterSpecification') {
            snapshot.specsError = (err as Error).message;
            log.error('cannot list the ClusterSpecifications: who owns which spec is unknown, so no spec is acted on', { error: snapshot.specsError });
          } else {
            log.warn(`cannot list ${kind}s; reading them one by one`, { error: (err as Error).message });
          }
        }
      }),
    );
    return snapshot;
  }

  /** Every ClusterSpecification: mirrors (each Git spec's last good desired state) and applied specs. */
  get specs(): ClusterSpecification[] {
    return [...(this.byKind.get('ClusterSpecification')?.values() ?? [])] as ClusterSpecification[];
  }

  /** The object as listed, or read now when its kind could not be listed. */
  async get<T extends Listed>(kind: T['kind'], namespace: string, name: string): Promise<T | undefined> {
    const listed = this.byKind.get(kind);
    if (listed) return listed.get(`${namespace}/${name}`) as T | undefined;
    return this.store.get<T>(kind, namespace, name);
  }

  /** Records what this pass wrote, so later stages of the pass compare with it. */
  remember(object: Listed): void {
    this.byKind.get(object.kind)?.set(`${object.metadata.namespace}/${object.metadata.name}`, object);
  }

  /** A namespace that holds one of kspec's objects exists; others may not. */
  hasNamespace(namespace: string): boolean {
    for (const objects of this.byKind.values()) for (const key of objects.keys()) if (key.startsWith(`${namespace}/`)) return true;
    return false;
  }
}
