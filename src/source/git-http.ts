// The HTTP client every Git operation of kspec goes through (spec fetches and write-back).
//
// isomorphic-git's own client waits forever: a remote that accepts the connection and then says
// nothing (a hung proxy, a paused server) would hold a pass, and every pass after it, for good.
// This one gives up when the connection has been silent for `idleTimeoutMs`, and aborts at once
// when the pass's signal fires (shutdown, lost leadership, the write-back budget running out).
import http from 'isomorphic-git/http/node';
import type { HttpClient } from 'isomorphic-git';

/** How long a Git connection may stay silent before kspec gives up on it. */
export const GIT_IDLE_TIMEOUT_MS = 30_000;

export interface GitHttpOptions {
  signal?: AbortSignal;
  idleTimeoutMs?: number;
}

export function gitHttp(options: GitHttpOptions = {}): HttpClient {
  const idle = options.idleTimeoutMs ?? GIT_IDLE_TIMEOUT_MS;
  return {
    request(request) {
      options.signal?.throwIfAborted();
      const signals = [request.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
      return http.request({
        ...request,
        // Passed on to Node's http.request as the socket's idle timeout.
        fetchOptions: { ...request.fetchOptions, timeout: idle },
        ...(signals.length ? { signal: AbortSignal.any(signals) } : {}),
      });
    },
  };
}
