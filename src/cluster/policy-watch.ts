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
  /** The server ends each watch after this long (then it is resumed); default watch-stream.ts's 5 minutes. */
  serverTimeoutSeconds?: number;
}

const KYVERNO_KINDS: WatchedKind[] = [
  { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', path: '/apis/kyverno.io/v1/clusterpolicies' },
  { apiVersion: 'kyverno.io/v1', kind: 'Policy', path: '/apis/kyverno.io/v1/policies' },
];

/**
 * Watches kspec-owned Kyverno policies of one cluster, so out-of-band edits are seen at once.
 * Each kind is listed for a resourceVersion, then watched from it. A watch the server ends on
 * time is resumed from the last resourceVersion it carried. One that expired (410 Gone) or
 * broke is listed again and resumed, and reports a resync, because what happened in between
 * may not have been seen.
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
    for (const kind of this.options.kinds ?? KYVERNO_KINDS) void this.watchKind(kind, { resync: false }, this.options.retryMs ?? 1000);
  }

  stop(): void {
    this.stopped = true;
    for (const stream of this.streams) stream.stop();
    this.streams.clear();
  }

  /**
   * Watches `kind` from `from.resourceVersion`. Without one (at the start, after a broken
   * connection, or once the server said the version expired) it lists first for the current
   * version, and with `from.resync` tells its owner that changes may have been missed.
   */
  private async watchKind(kind: WatchedKind, from: { resourceVersion?: string; resync: boolean }, retryMs: number): Promise<void> {
    if (this.stopped) return;
    const { log } = this.options;
    let resourceVersion = from.resourceVersion;
    if (resourceVersion === undefined) {
      try {
        resourceVersion = await this.listVersion(kind);
      } catch (err) {
        log.warn('cannot list policies to watch; retrying', { kind: kind.kind, error: (err as Error).message });
        return this.retry(kind, retryMs);
      }
      if (from.resync) this.options.onResync(`${kind.kind} watch resumed`);
    }
    let lastSeen = resourceVersion;
    let expired = false;
    let stream: WatchStream;
    try {
      stream = await openWatch<KubernetesObject & { code?: number }>(this.options.kc, kind.path, {
        params: { labelSelector: this.options.labelSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.options.serverTimeoutSeconds },
        onEvent: ({ type, object }) => {
          if (type === 'ERROR') {
            // 410 Gone: our resourceVersion is too old. The watch ends and is re-listed.
            if (object.code === 410) expired = true;
            log.debug('policy watch error event', { kind: kind.kind, code: object.code });
            return;
          }
          lastSeen = object.metadata?.resourceVersion ?? lastSeen;
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
            this.options.onChange({ type, kind: kind.kind, name: object.metadata?.name ?? '', ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}), object });
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
      // The server ending a watch (its timeout) loses nothing: it goes on from the last version
      // seen, with no LIST and no resync, so an idle cluster does not wake a pass every few minutes.
      const cleanEnd = !err && !expired;
      if (cleanEnd) log.debug('policy watch resumed', { kind: kind.kind, resourceVersion: lastSeen });
      void this.watchKind(kind, cleanEnd ? { resourceVersion: lastSeen, resync: false } : { resync: true }, this.options.retryMs ?? 1000);
    });
  }

  private retry(kind: WatchedKind, retryMs: number): void {
    if (this.stopped) return;
    setTimeout(() => void this.watchKind(kind, { resync: true }, Math.min(retryMs * 2, 30_000)), retryMs).unref();
  }

  private async listVersion(kind: WatchedKind): Promise<string | undefined> {
    const list = await kubeJson<{ metadata?: { resourceVersion?: string } }>(this.options.kc, `${kind.path}${query({ labelSelector: this.options.labelSelector, limit: 1 })}`);
    return list.metadata?.resourceVersion;
  }
}
