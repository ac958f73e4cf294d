// Raw JSON requests to a target's API server with its KubeConfig (TLS, tokens, exec plugins).
// Every request kspec sends to Kubernetes goes through here or through the watch stream
// (watch-stream.ts): reads, server-side applies, status writes, Leases, discovery, LISTs of
// arbitrary kinds, and Kyverno `apiCall` context entries.
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { ClusterError } from './api-error.ts';
import { limiterFor } from './request-limiter.ts';
import { requestTimeoutOf, type KubeConfig } from './kube-config.ts';

// Not `import`: an ES import of node:http builds its module namespace, whose lazy fetch and
// WebSocket getters load undici (about 20 ms of every start), which kspec never uses.
const http = process.getBuiltinModule('node:http');

export interface KubeRequestOptions {
  method?: string;
  body?: unknown;
  /** Content type of the body; default application/json. */
  contentType?: string;
  signal?: AbortSignal;
  /** Silence after which the request fails; default the KubeConfig's request timeout. */
  timeoutMs?: number;
  /** false: sent at once, outside the client-side limits (Lease renewals); default true. */
  limited?: boolean;
}

/**
 * Pooled requests go in lanes, each with sockets of its own, so that a burst in one does not hold
 * up the others: a pass that creates a thousand policies fills the write lane, and the LISTs that
 * other specs and the compliance stage send meanwhile, and the Lease renewals that keep a replica
 * the leader, would otherwise wait behind every one of them.
 *  - `write`: creates, applies, deletes (32 sockets);
 *  - `read`: GETs and LISTs (16);
 *  - `urgent`: requests sent outside the client-side limits, Lease renewals (4).
 */
export type Lane = 'write' | 'read' | 'urgent';

const LANE_SOCKETS: Record<Lane, number> = { write: 32, read: 16, urgent: 4 };

function laneOf(method: string, limited: boolean): Lane {
  if (!limited) return 'urgent';
  return method === 'GET' ? 'read' : 'write';
}

const agents = new WeakMap<KubeConfig, { lanes: Map<Lane, https.Agent>; cert: unknown; key: unknown }>();

/**
 * The keep-alive agent of a lane (see Lane) of a KubeConfig, with its TLS settings: an agent that
 * opens (and handshakes) a new connection for every request cost more than the requests
 * themselves when a pass sends hundreds of them. Idle sockets do not keep the process alive. A
 * client certificate that changed (an exec plugin's, renewed) gets new agents: a TLS connection
 * keeps its first one.
 */
function keepAliveAgent(kc: KubeConfig, lane: Lane, opts: https.RequestOptions): https.Agent {
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = opts;
  let held = agents.get(kc);
  if (!held || !sameBytes(held.cert, cert) || !sameBytes(held.key, key)) {
    held = { lanes: new Map(), cert, key };
    agents.set(kc, held);
  }
  let agent = held.lanes.get(lane);
  if (!agent) {
    agent = new https.Agent({ keepAlive: true, maxSockets: LANE_SOCKETS[lane], ca, cert, key, pfx, passphrase, servername, ...(rejectUnauthorized !== undefined ? { rejectUnauthorized } : {}) });
    held.lanes.set(lane, agent);
  }
  return agent;
}

function sameBytes(a: unknown, b: unknown): boolean {
  return a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
}

export interface PreparedRequest {
  url: URL;
  options: https.RequestOptions;
  transport: typeof http | typeof https;
}

/**
 * The URL and the options (TLS, credentials) of a request to `path` with its query string.
 * Short requests share the keep-alive sockets of their `lane`; a watch (no lane), which holds its
 * socket for minutes, gets its own connection so that watches never queue up short requests.
 */
export async function prepareRequest(kc: KubeConfig, path: string, method: string, lane: Lane | undefined): Promise<PreparedRequest> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ClusterError('no current cluster in the kubeconfig');
  // Keep a path prefix the server URL may carry (e.g. a proxy's /k8s/clusters/x).
  const base = new URL(cluster.server);
  const url = new URL(base.pathname.replace(/\/$/, '') + (path.startsWith('/') ? path : `/${path}`), base.origin);
  const options: https.RequestOptions = { method, headers: { accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  if (lane && url.protocol === 'https:' && !cluster.proxyUrl) options.agent = keepAliveAgent(kc, lane, options);
  options.headers = { ...(options.headers as Record<string, string>), accept: 'application/json' };
  return { url, options, transport: url.protocol === 'http:' ? http : https };
}

/**
 * Sends a request to `path` (with its query string), within the API server's client-side limits,
 * and returns the parsed JSON body. Non-2xx responses throw a ClusterError with the status code.
 */
export function kubeJson<T = unknown>(kc: KubeConfig, path: string, options: KubeRequestOptions = {}): Promise<T> {
  const call = async () => {
    try {
      return await send<T>(kc, path, options);
    } catch (err) {
      // Credentials that expired early or were revoked (an exec plugin's token, a rotated token
      // file): fetched again once, as kubectl does.
      if ((err as ClusterError).code !== 401 || !kc.invalidateCredentials) throw err;
      kc.invalidateCredentials();
      return send<T>(kc, path, options);
    }
  };
  return options.limited === false ? call() : limiterFor(kc).run(call);
}

async function send<T>(kc: KubeConfig, path: string, options: KubeRequestOptions): Promise<T> {
  const method = options.method ?? 'GET';
  const { url, options: opts, transport } = await prepareRequest(kc, path, method, laneOf(method, options.limited !== false));
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) Object.assign(opts.headers!, { 'content-type': options.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
  return new Promise<T>((resolve, reject) => {
    const req = transport.request(url, { ...opts, signal: options.signal, timeout: options.timeoutMs ?? requestTimeoutOf(kc) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        // A pooled TLS socket keeps the first request sent on it reachable for as long as the
        // socket lives (through the agent's 'session' listener), and with it this closure: the
        // body, often a LIST page of megabytes, is let go here rather than kept with it.
        chunks.length = 0;
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          reject(responseError(method, url, res, text));
          return;
        }
        try {
          resolve(JSON.parse(text) as T);
        } catch (err) {
          reject(new ClusterError(`${method} ${url.pathname}: invalid JSON: ${(err as Error).message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new ClusterError(`${method} ${url.pathname}: timed out`, undefined, undefined, 'timed out')));
    req.on('error', (err) => reject(err instanceof ClusterError ? err : new ClusterError(`${method} ${url.pathname}: ${err.message}`, undefined, undefined, err.message)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A non-2xx answer as a ClusterError: its status code, the Status message, and Retry-After. */
export function responseError(method: string, url: URL, res: IncomingMessage, text: string): ClusterError {
  const status = res.statusCode ?? 0;
  let reason = text.slice(0, 300);
  try {
    reason = String((JSON.parse(text) as { message?: unknown }).message ?? reason);
  } catch {
    // not JSON
  }
  const retryAfter = res.headers['retry-after'];
  const line = reason.split('\n')[0];
  return new ClusterError(`${method} ${url.pathname}: HTTP ${status}: ${line}`, status, retryAfter ? { 'retry-after': retryAfter } : undefined, line);
}

/** A query string from the parameters that are set. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) q.set(key, String(value));
  const text = q.toString();
  return text ? `?${text}` : '';
}
