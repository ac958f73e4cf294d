// One watch of a collection: a streaming GET with watch=1 whose body is one JSON event per line.
// Used by the policy watch and the watched lists of `kspec run`. Not sent through the request
// limiter: a watch holds its connection for minutes, and the limiter bounds requests in flight.
import { ClusterError } from './api-error.ts';
import { prepareRequest, query, responseError } from './http-get.ts';
import type { KubeConfig } from './kube-config.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  /** The object; for ERROR a Status (code 410 when the resourceVersion is too old). */
  object: T;
}

export interface WatchStreamOptions<T> {
  /** labelSelector, resourceVersion, allowWatchBookmarks, timeoutSeconds, … */
  params?: Record<string, string | number | boolean | undefined>;
  onEvent(event: WatchEvent<T>): void;
  /** Silence after which the watch is ended with an error; default a minute past timeoutSeconds. */
  inactivityMs?: number;
}

export interface WatchStream {
  /**
   * Settles when the watch is over: undefined when the server ended it or it was stopped, an
   * error when the connection broke or stayed silent for longer than the inactivity timeout.
   */
  readonly ended: Promise<Error | undefined>;
  stop(): void;
}

/**
 * The server is asked to end a watch after this long (timeoutSeconds), so that a quiet watch
 * ends cleanly and is resumed from its last resourceVersion. A server that sends no event, not
 * even a bookmark, for a minute longer is taken to have dropped the watch.
 */
const WATCH_SECONDS = 300;

/**
 * Opens a watch on `path` (a collection) and resolves once the server accepted it (HTTP 200);
 * a refusal (403, 404, …) rejects with a ClusterError carrying the status code.
 */
export async function openWatch<T = Record<string, unknown>>(kc: KubeConfig, path: string, options: WatchStreamOptions<T>): Promise<WatchStream> {
  const timeoutSeconds = Number(options.params?.timeoutSeconds ?? WATCH_SECONDS);
  const fullPath = `${path}${query({ ...options.params, timeoutSeconds, watch: 1 })}`;
  const { url, options: opts, transport } = await prepareRequest(kc, fullPath, 'GET', undefined);
  const inactivityMs = options.inactivityMs ?? (timeoutSeconds + 60) * 1000;
  const controller = new AbortController();
  let finish!: (err: Error | undefined) => void;
  let stopped = false;
  const ended = new Promise<Error | undefined>((resolve) => (finish = resolve));

  return new Promise<WatchStream>((accept, refuse) => {
    let timer: NodeJS.Timeout | undefined;
    let settle = (err: Error | undefined) => {
      settle = () => {};
      clearTimeout(timer);
      controller.abort();
      finish(stopped ? undefined : err);
      // Before the server answered, the watch never started (no-op once it was accepted).
      refuse(err ?? new ClusterError(`watch ${url.pathname}: closed before the server answered`));
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => settle(new ClusterError(`watch ${url.pathname}: no event for ${Math.round(inactivityMs / 1000)} s`)), inactivityMs);
      timer.unref();
    };
    quiet();
    const req = transport.request(url, { ...opts, signal: controller.signal }, (res) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          if (res.statusCode === 401) kc.invalidateCredentials?.(); // its owner retries with new ones
          refuse(responseError('watch', url, res, Buffer.concat(chunks).toString('utf8')));
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          refuse(new ClusterError(`watch ${url.pathname}: ${err.message}`));
        });
        return;
      }
      quiet();
      accept({ ended, stop: () => ((stopped = true), settle(undefined)) });
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        quiet();
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (!line) continue;
          let event: WatchEvent<T>;
          try {
            event = JSON.parse(line) as WatchEvent<T>;
          } catch {
            continue; // a line that is not an event tells nothing
          }
          options.onEvent(event);
        }
      });
      res.on('end', () => settle(undefined));
      // Closed before the server finished its answer: the connection broke.
      res.on('close', () => settle(res.complete ? undefined : new ClusterError(`watch ${url.pathname}: connection closed`)));
      res.on('error', (err) => settle(new ClusterError(`watch ${url.pathname}: ${err.message}`)));
    });
    req.on('error', (err) => settle(err instanceof ClusterError ? err : new ClusterError(`watch ${url.pathname}: ${err.message}`)));
    req.end();
  });
}
