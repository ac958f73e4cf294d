// A very small Kubernetes HTTP client for the test infrastructure: bearer token + CA bundle,
// JSON in and out. It exists so that starting, probing and bootstrapping the local control plane
// does not depend on the code under test (src/cluster) or on client-node's version quirks.
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

export interface KubeEndpoint {
  server: string;
  caPem: string;
  token: string;
}

export interface KubeResponse {
  status: number;
  body: string;
  json<T = any>(): T;
}

export class KubeHttpError extends Error {
  status: number;
  body: string;
  constructor(method: string, path: string, status: number, body: string) {
    let detail = body;
    try {
      detail = JSON.parse(body).message ?? body;
    } catch {
      // not JSON
    }
    super(`${method} ${path}: HTTP ${status}: ${detail.slice(0, 500)}`);
    this.status = status;
    this.body = body;
  }
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  /** Do not throw for these statuses. */
  allow?: number[];
  /** Defaults to application/json; `application/json;as=Table;v=v1;g=meta.k8s.io` asks for kubectl's table. */
  accept?: string;
}

export function kubeRequest(
  ep: KubeEndpoint,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<KubeResponse> {
  const url = new URL(path, ep.server);
  const payload =
    opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: ep.caPem,
        headers: {
          accept: opts.accept ?? 'application/json',
          ...(ep.token ? { authorization: `Bearer ${ep.token}` } : {}),
          ...(payload !== undefined
            ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if ((status < 200 || status >= 300) && !(opts.allow ?? []).includes(status)) {
            reject(new KubeHttpError(method, path, status, body));
            return;
          }
          resolve({ status, body, json: () => JSON.parse(body) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Reads server, CA and token from a kubeconfig written by writeKubeconfig (current context). */
export async function endpointFromKubeconfig(kubeconfigPath: string): Promise<KubeEndpoint> {
  const kc = parseYaml(await readFile(kubeconfigPath, 'utf8'));
  const ctxName = kc['current-context'];
  const ctx = (kc.contexts ?? []).find((c: any) => c.name === ctxName)?.context ?? kc.contexts?.[0]?.context;
  const cluster = (kc.clusters ?? []).find((c: any) => c.name === ctx?.cluster)?.cluster;
  const user = (kc.users ?? []).find((u: any) => u.name === ctx?.user)?.user;
  if (!cluster?.server) throw new Error(`${kubeconfigPath}: no cluster server in the current context`);
  const caData = cluster['certificate-authority-data'];
  const caPem = caData
    ? Buffer.from(caData, 'base64').toString('utf8')
    : cluster['certificate-authority']
      ? await readFile(cluster['certificate-authority'], 'utf8')
      : '';
  return { server: cluster.server, caPem, token: user?.token ?? '' };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
