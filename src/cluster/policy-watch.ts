import type { KubeConfig } from './kube-config.ts';
import type { Logger } from '../log.ts';
import { kubeJson, query } from './http-get.ts';
import { openWatch, type WatchStream } from './watch-stream.ts';

/** An object as a watch event carries it. */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface PolicyChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: string;
  name: string;
  namespace?: string;
  /** The object as the event carried it. */
  object: KubernetesObject;
}

export interface WatchedKind {
  apiVersion: string;
  kind: string;
  path: string;
  /** Only this namespace (the path must say the same). */
  namespace?: string;
}

export interface PolicyWatchOptions {
  kc: KubeConfig;
  labelSelector: string;
  /** An owned policy changed in the cluster. */
  onChange(change: PolicyChange): void;
  /** The watch was re-established after a gap: changes may have been missed, so re-check. */
  onResync(reason: string): void;
  log: Logger;
  /** Delay before re-listing after a dropped watch; doubles up to 30 s. */
  retryMs?: number;
  /** What to watch; default Kyverno's ClusterPolicy and Policy. */
  kinds?: WatchedKind[];
}

const KYVERNO_KINDS: WatchedKind[] = [
  { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', path: '/apis/kyverno.io/v1/clusterpolicies' },
  { apiVersion: 'kyverno.io/v1', kind: 'Policy', path: '/apis/kyverno.io/v1/policies' },
];

/**
 * Watches kspec-owned Kyverno policies of one cluster, so out-of-band edits are seen at once.
 * Each kind is listed for a resourceVersion, then watched from it. When a watch ends — expired
 * (410 Gone), dropped, or timed out by the server — it lists again and resumes, and reports a
 * resync, because anything that happened in between was not seen.
 */
export class PolicyWatch {
  private readonly options: PolicyWatchOptions;
  private readonly streams = new Set<WatchStream>();
  private stopped = false;
  private readonly kindsNotYetWatched = new Set<string>();
  private markWatching!: () => void;
  /**
   * Resolves once every kind is being watched for the first time: a change made after that is
   * seen as a watch event, while one made before shows up only in the initial LIST.
   */
  readonly watching: Promise<void> = new Promise((resolve) => (this.markWatching = resolve));

  constructor(options: PolicyWatchOptions) {
    this.options = options;
    for (const kind of options.kinds ?? KYVERNO_KINDS) this.kindsNotYetWatched.add(kind.path);
  }

  start(): void {
    for (const kind of this.options.kinds ?? KYVERNO_KINDS) void this.watchKind(kind, false, this.options.retryMs ?? 1000);
  }

  stop(): void {
    this.stopped = true;
    for (const stream of this.streams) stream.stop();
    this.streams.clear();
  }

  private async watchKind(kind: WatchedKind, resumed: boolean, retryMs: number): Promise<void> {
    if (this.stopped) return;
    const { log } = this.options;
    let resourceVersion: string | undefined;
    try {
      resourceVersion = await this.listVersion(kind);
    } catch (err) {
      log.warn('cannot list policies to watch; retrying', { kind: kind.kind, error: (err as Error).message });
      return this.retry(kind, retryMs);
    }
    if (resumed) this.options.onResync(`${kind.kind} watch resumed`);
    let stream: WatchStream;
    try {
      stream = await openWatch<KubernetesObject & { code?: number }>(this.options.kc, kind.path, {
        params: { labelSelector: this.options.labelSelector, resourceVersion, allowWatchBookmarks: true },
        onEvent: ({ type, object }) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
            this.options.onChange({ type, kind: kind.kind, name: object.metadata?.name ?? '', ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}), object });
          } else if (type === 'ERROR') {
            // 410 Gone: our resourceVersion is too old. The watch ends and is re-listed.
            log.debug('policy watch error event', { kind: kind.kind, code: object.code });
          }
        },
      });
    } catch (err) {
      log.warn('cannot watch policies; retrying', { kind: kind.kind, error: (err as Error).message });
      return this.retry(kind, retryMs);
    }
    if (this.stopped) return stream.stop();
    this.streams.add(stream);
    this.kindsNotYetWatched.delete(kind.path);
    if (this.kindsNotYetWatched.size === 0) this.markWatching();
    void stream.ended.then((err) => {
      this.streams.delete(stream);
      if (this.stopped) return;
      if (err) log.debug('policy watch ended', { kind: kind.kind, error: err.message });
      void this.watchKind(kind, true, this.options.retryMs ?? 1000);
    });
  }

  private retry(kind: WatchedKind, retryMs: number): void {
    if (this.stopped) return;
    setTimeout(() => void this.watchKind(kind, true, Math.min(retryMs * 2, 30_000)), retryMs).unref();
  }

  private async listVersion(kind: WatchedKind): Promise<string | undefined> {
    const list = await kubeJson<{ metadata?: { resourceVersion?: string } }>(this.options.kc, `${kind.path}${query({ labelSelector: this.options.labelSelector, limit: 1 })}`);
    return list.metadata?.resourceVersion;
  }
}
