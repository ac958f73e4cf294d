// Every object of one resource type in one cluster, kept current by a watch, for `kspec run`:
// listed once, then watched from the list's resourceVersion, so that a pass with nothing new
// reads it without a request. Objects are kept trimmed (no managedFields). A watch that the
// server ends (timeout) resumes from the last resourceVersion seen, without a LIST; a watch whose
// resourceVersion expired (410 Gone) re-lists this type only. While the watch is down the list
// is not trusted: a read then lists again, as a pass without the cache would.
import type { KubeConfig } from './kube-config.ts';
import { openWatch, type WatchStream } from './watch-stream.ts';
import { collectionPath, listPages } from './resource-lister.ts';
import type { KubeItem } from './resource-lister.ts';
import type { ResourceType } from './discovery.ts';
import { trimObject } from './trim.ts';
import type { Logger } from '../log.ts';

export interface WatchedListOptions {
  kc: KubeConfig;
  type: ResourceType;
  log: Logger;
}

export class WatchedList {
  private readonly options: WatchedListOptions;
  private readonly objects = new Map<string, KubeItem>();
  private resourceVersion: string | undefined;
  private watching = false;
  private syncing: Promise<void> | undefined;
  private resuming: Promise<void> | undefined;
  private stream: WatchStream | undefined;
  private stopped = false;
  /** LISTs and watches this list sent, for tests and logs. */
  readonly sent = { lists: 0, watches: 0 };

  constructor(options: WatchedListOptions) {
    this.options = options;
  }

  /** The objects as the watch last saw them; listed first when not (or no longer) watched. */
  async items(): Promise<KubeItem[]> {
    if (this.resuming) await this.resuming;
    if (!this.watching) {
      this.syncing ??= this.listAndWatch().finally(() => (this.syncing = undefined));
      await this.syncing;
    }
    return [...this.objects.values()];
  }

  /** Objects held. */
  get size(): number {
    return this.objects.size;
  }

  /** Lists and watches from now on through this client (a target's kubeconfig is read every pass). */
  connectWith(kc: KubeConfig): void {
    this.options.kc = kc;
  }

  stop(): void {
    this.stopped = true;
    this.watching = false;
    this.stream?.stop();
  }

  private async listAndWatch(): Promise<void> {
    this.stream?.stop();
    this.stream = undefined;
    this.watching = false;
    const { kc, type } = this.options;
    let listedVersion: string | undefined;
    const listed = new Map<string, KubeItem>();
    this.sent.lists++;
    for await (const page of listPages(kc, type, { onResourceVersion: (rv) => (listedVersion ??= rv) })) {
      for (const item of page) listed.set(keyOf(item), trimObject(item));
    }
    this.objects.clear();
    for (const [key, item] of listed) this.objects.set(key, item);
    this.resourceVersion = listedVersion;
    await this.watch();
  }

  /** Starts a watch from the current resourceVersion; resolves once the server accepted it, or not. */
  private async watch(): Promise<void> {
    if (this.stopped) return;
    const { kc, type, log } = this.options;
    let expired = false;
    this.sent.watches++;
    try {
      const stream = await openWatch<KubeItem & { code?: number }>(kc, collectionPath(type), {
        // The server ends a quiet watch after a while (watch-stream.ts); resuming it costs no LIST.
        params: { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
        onEvent: ({ type: event, object }) => {
          if (event === 'ERROR') {
            if (object.code === 410) expired = true;
            return;
          }
          const rv = object.metadata?.resourceVersion;
          if (typeof rv === 'string') this.resourceVersion = rv;
          if (event === 'BOOKMARK') return;
          const item = trimObject({ ...object, apiVersion: type.apiVersion, kind: type.kind });
          if (event === 'DELETED') this.objects.delete(keyOf(item));
          else if (event === 'ADDED' || event === 'MODIFIED') this.objects.set(keyOf(item), item);
        },
      });
      this.stream = stream;
      this.watching = !this.stopped;
      if (this.stopped) stream.stop();
      void stream.ended.then((err) => {
        if (this.stopped || this.stream !== stream) return;
        this.watching = false;
        if (expired) {
          // The next read lists again: only this type.
          log.debug('watch expired; this kind is listed again at the next read', { kind: type.kind });
          return;
        }
        if (err) log.debug('watch ended; resuming', { kind: type.kind, error: err.message });
        this.resuming = this.watch().finally(() => (this.resuming = undefined));
      });
    } catch (err) {
      // The next read lists again and tries to watch again.
      log.warn('cannot watch; the next read lists again', { kind: type.kind, error: (err as Error).message });
      this.watching = false;
    }
  }
}

function keyOf(item: KubeItem): string {
  return `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
}
