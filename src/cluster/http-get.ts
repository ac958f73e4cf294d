// Raw JSON requests to a target's API server with its KubeConfig (TLS, tokens, exec plugins and
// proxies as client-node applies them). Used where the generated clients do not fit: discovery,
// LISTs of arbitrary kinds, and Kyverno `apiCall` context entries.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from './api-error.ts';
import { limiterFor } from './request-limiter.ts';
import { requestTimeoutOf } from './timed-kubeconfig.ts';

export interface KubeRequestOptions {
  method?: string;
  body?: unknown;
  /** Content type of the body; default application/json. */
  contentType?: string;
  signal?: AbortSignal;
  /** Silence after which the request fails; default the KubeConfig's request timeout. */
  timeoutMs?: number;
}

const agents = new WeakMap<KubeConfig, https.Agent>();

/**
 * One keep-alive agent per KubeConfig, with its TLS settings: client-node's agent opens (and
 * handshakes) a new connection for every request, which cost more than the requests themselves
 * when a pass sends hundreds of them. Idle sockets do not keep the process alive.
 */
function keepAliveAgent(kc: KubeConfig, opts: https.RequestOptions): https.Agent {
  let agent = agents.get(kc);
  if (!agent) {
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = opts;
    agent = new https.Agent({ keepAlive: true, maxSockets: 32, ca, cert, key, pfx, passphrase, servername, ...(rejectUnauthorized !== undefined ? { rejectUnauthorized } : {}) });
    agents.set(kc, agent);
  }
  return agent;
}

/**
 * Sends a request to `path` (with its query string), within the API server's client-side limits,
 * and returns the parsed JSON body. Non-2xx responses throw a ClusterError with the status code.
 */
export function kubeJson<T = unknown>(kc: KubeConfig, path: string, options: KubeRequestOptions = {}): Promise<T> {
  return limiterFor(kc).run(() => send<T>(kc, path, options));
}

async function send<T>(kc: KubeConfig, path: string, options: KubeRequestOptions): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ClusterError('no current cluster in the kubeconfig');
  // Keep a path prefix the server URL may carry (e.g. a proxy's /k8s/clusters/x).
  const base = new URL(cluster.server);
  const url = new URL(base.pathname.replace(/\/$/, '') + (path.startsWith('/') ? path : `/${path}`), base.origin);
  const method = options.method ?? 'GET';
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const opts: https.RequestOptions = { method, headers: { accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  if (url.protocol === 'https:' && !cluster.proxyUrl) opts.agent = keepAliveAgent(kc, opts);
  opts.headers = { ...(opts.headers as Record<string, string>), accept: 'application/json' };
  if (payload !== undefined) Object.assign(opts.headers, { 'content-type': options.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise<T>((resolve, reject) => {
    const req = transport.request(url, { ...opts, signal: options.signal, timeout: options.timeoutMs ?? requestTimeoutOf(kc) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          let reason = text.slice(0, 300);
          try {
            reason = String((JSON.parse(text) as { message?: unknown }).message ?? reason);
          } catch {
            // not JSON
          }
          const retryAfter = res.headers['retry-after'];
          reject(new ClusterError(`${method} ${url.pathname}: HTTP ${status}: ${reason.split('\n')[0]}`, status, retryAfter ? { 'retry-after': retryAfter } : undefined));
          return;
        }
        try {
          resolve(JSON.parse(text) as T);
        } catch (err) {
          reject(new ClusterError(`${method} ${url.pathname}: invalid JSON: ${(err as Error).message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new ClusterError(`${method} ${url.pathname}: timed out`)));
    req.on('error', (err) => reject(err instanceof ClusterError ? err : new ClusterError(`${method} ${url.pathname}: ${err.message}`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
