// kspec's own kubeconfig: the clusters, users and contexts of kubeconfig files (or of the pod's
// service account), and the TLS settings and credentials of each request. It replaces
// @kubernetes/client-node's KubeConfig on kspec's runtime path: loading that class alone loads
// the client's whole generated API (about 88 MB resident and a third of a second at start-up).
// Which files are read and how they merge is kubeconfig.ts; sending requests is http-get.ts.
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './request-limiter.ts';
import { execCredential, type ExecConfig, type ExecCredentialStatus } from './exec-credential.ts';

export interface Cluster {
  readonly name: string;
  readonly server: string;
  readonly caData?: string | null;
  caFile?: string | null;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string | null;
  /** Served by client-node (see clientNodeFallback). */
  readonly proxyUrl?: string | null;
}

export interface User {
  readonly name: string;
  readonly token?: string | null;
  /** Re-read as it rotates (a projected service account token is replaced every hour or so). */
  tokenFile?: string | null;
  readonly certData?: string | null;
  certFile?: string | null;
  readonly keyData?: string | null;
  keyFile?: string | null;
  readonly username?: string | null;
  readonly password?: string | null;
  readonly impersonateUser?: string | null;
  // client-node's User types these as any: kept loose here so its KubeConfig still fits.
  readonly exec?: ExecConfig | any;
  /** Served by client-node (see clientNodeFallback). */
  readonly authProvider?: { name: string; config?: Record<string, string> } | any;
}

export interface Context {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
}

/**
 * What kspec needs of a kubeconfig. Its own KspecKubeConfig implements it, and so does
 * client-node's KubeConfig, which tests build for their own fixtures and hand to kspec.
 */
export interface KubeConfig {
  getCurrentContext(): string;
  setCurrentContext(name: string): void;
  getContexts(): Context[];
  getContextObject(name: string): Context | null;
  getClusters(): Cluster[];
  getCluster(name: string): Cluster | null;
  getCurrentCluster(): Cluster | null;
  getUsers(): User[];
  getUser(name: string): User | null;
  getCurrentUser(): User | null;
  /** Sets the TLS settings and credentials of a request to the current cluster. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
  /** The deadline of a request (default: --request-timeout). */
  requestTimeoutMs?: number;
  /** The server answered 401: forget cached credentials (exec plugin, token file) and get new ones. */
  invalidateCredentials?(): void;
}

let defaultTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;

/**
 * Sets the deadline of the KubeConfigs made from now on (the --request-timeout flag). Every API
 * call kspec makes has one: an API server that is paused, partitioned or stuck would otherwise
 * hold a pass, and every pass after it. Watches have their own inactivity timeout instead.
 */
export function setKubeRequestTimeout(ms: number): void {
  defaultTimeoutMs = ms;
}

/** The deadline of calls made with `kc`. */
export function requestTimeoutOf(kc: KubeConfig): number {
  return kc.requestTimeoutMs ?? defaultTimeoutMs;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/**
 * How long a credential file (token, CA, client certificate or key) is used before it is read
 * again, so that a rotated file is picked up without a read from disk on every request (client-go
 * waits a minute for tokens too). A 401 forgets them at once.
 */
const CREDENTIAL_FILE_TTL_MS = 60_000;

export class KspecKubeConfig implements KubeConfig {
  requestTimeoutMs = defaultTimeoutMs;
  private clusters: Cluster[] = [];
  private users: User[] = [];
  private contexts: Context[] = [];
  private currentContext = '';
  private readonly credentialFiles = new Map<string, { bytes: Buffer; readAt: number }>();
  private readonly execCredentials = new Map<string, Promise<ExecCredentialStatus>>();
  private fallback: Promise<KubeConfig> | undefined;

  getCurrentContext(): string {
    return this.currentContext;
  }
  setCurrentContext(name: string): void {
    this.currentContext = name;
  }
  getContexts(): Context[] {
    return this.contexts;
  }
  getContextObject(name: string): Context | null {
    return this.contexts.find((c) => c.name === name) ?? null;
  }
  getClusters(): Cluster[] {
    return this.clusters;
  }
  getCluster(name: string): Cluster | null {
    return this.clusters.find((c) => c.name === name) ?? null;
  }
  getCurrentCluster(): Cluster | null {
    const context = this.getContextObject(this.currentContext);
    return context ? this.getCluster(context.cluster) : null;
  }
  getUsers(): User[] {
    return this.users;
  }
  getUser(name: string): User | null {
    return this.users.find((u) => u.name === name) ?? null;
  }
  getCurrentUser(): User | null {
    const context = this.getContextObject(this.currentContext);
    return context ? this.getUser(context.user) : null;
  }

  loadFromOptions(options: { clusters: Cluster[]; users: User[]; contexts: Context[]; currentContext: string }): void {
    this.clusters = options.clusters;
    this.users = options.users;
    this.contexts = options.contexts;
    this.currentContext = options.currentContext;
    this.forgetCredentials();
  }

  /** Reads a kubeconfig's YAML; an entry without its name, or a cluster without a server, is an error. */
  loadFromString(text: string): void {
    const doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('a kubeconfig is a YAML mapping (clusters, users, contexts, current-context)');
    this.loadFromOptions({
      clusters: entries(doc.clusters, 'clusters', 'cluster').map(([name, c, where]) => {
        if (!c.server) throw new Error(`${where}.cluster.server is missing`);
        return {
          name,
          server: String(c.server).replace(/\/$/, ''),
          caData: str(c['certificate-authority-data']),
          caFile: str(c['certificate-authority']),
          skipTLSVerify: c['insecure-skip-tls-verify'] === true,
          tlsServerName: str(c['tls-server-name']),
          proxyUrl: str(c['proxy-url']),
        };
      }),
      users: entries(doc.users, 'users', 'user', true).map(([name, u]) => ({
        name,
        token: str(u.token),
        tokenFile: str(u.tokenFile ?? u['token-file']),
        certData: str(u['client-certificate-data']),
        certFile: str(u['client-certificate']),
        keyData: str(u['client-key-data']),
        keyFile: str(u['client-key']),
        username: str(u.username),
        password: str(u.password),
        impersonateUser: str(u.as),
        exec: (u.exec as ExecConfig | undefined) ?? undefined,
        authProvider: (u['auth-provider'] as User['authProvider']) ?? undefined,
      })),
      contexts: entries(doc.contexts, 'contexts', 'context').map(([name, c]) => ({
        name,
        cluster: String(c.cluster ?? ''),
        user: String(c.user ?? ''),
        ...(c.namespace ? { namespace: String(c.namespace) } : {}),
      })),
      currentContext: str(doc['current-context']) ?? '',
    });
  }

  /** Reads a kubeconfig file; relative paths in it are relative to the file, as kubectl reads them. */
  loadFromFile(file: string): void {
    this.loadFromString(readFileSync(file, 'utf8'));
    const root = dirname(file);
    const absolute = (path: string | null | undefined) => (path && !isAbsolute(path) ? join(root, path) : path);
    for (const cluster of this.clusters) cluster.caFile = absolute(cluster.caFile);
    for (const user of this.users) {
      user.certFile = absolute(user.certFile);
      user.keyFile = absolute(user.keyFile);
      user.tokenFile = absolute(user.tokenFile);
      // A command given as a path (not a name looked up on PATH) is relative to the file too.
      if (user.exec?.command?.includes('/')) user.exec.command = absolute(user.exec.command);
    }
  }

  /** The pod's service account: KUBERNETES_SERVICE_HOST/PORT, its CA, and its token file, re-read as it rotates. */
  loadFromCluster(root = SERVICE_ACCOUNT): void {
    const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    let namespace: string | undefined;
    try {
      namespace = readFileSync(join(root, 'namespace'), 'utf8').trim();
    } catch {
      // no namespace file: the context has none
    }
    this.loadFromOptions({
      clusters: [{ name: 'inCluster', server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: join(root, 'ca.crt'), skipTLSVerify: false }],
      users: [{ name: 'inClusterUser', tokenFile: join(root, 'token') }],
      contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', ...(namespace ? { namespace } : {}) }],
      currentContext: 'inClusterContext',
    });
  }

  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (needsClientNode(cluster, user)) return (await this.clientNodeFallback()).applyToHTTPSOptions(opts);
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (cluster) {
      if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
      if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
      const ca = this.fileOrData(cluster.caFile, cluster.caData);
      if (ca) opts.ca = ca;
    }
    if (!user) return;
    const cert = this.fileOrData(user.certFile, user.certData);
    const key = this.fileOrData(user.keyFile, user.keyData);
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
    if (user.username) opts.auth = `${user.username}:${user.password ?? ''}`;
    const token = user.token ?? (user.tokenFile ? this.credentialFile(user.tokenFile).toString('utf8').trim() : undefined);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (user.exec) {
      const status = await this.execStatus(user, cluster);
      if (status.token) headers.Authorization = `Bearer ${status.token}`;
      if (status.clientCertificateData) opts.cert = Buffer.from(status.clientCertificateData);
      if (status.clientKeyData) opts.key = Buffer.from(status.clientKeyData);
    }
  }

  invalidateCredentials(): void {
    this.forgetCredentials();
  }

  private forgetCredentials(): void {
    this.credentialFiles.clear();
    this.execCredentials.clear();
  }

  private credentialFile(file: string): Buffer {
    const cached = this.credentialFiles.get(file);
    if (cached && Date.now() - cached.readAt < CREDENTIAL_FILE_TTL_MS) return cached.bytes;
    const bytes = readFileSync(file);
    this.credentialFiles.set(file, { bytes, readAt: Date.now() });
    return bytes;
  }

  private fileOrData(file: string | null | undefined, data: string | null | undefined): Buffer | undefined {
    if (file) return this.credentialFile(file);
    if (data) return Buffer.from(data, 'base64');
    return undefined;
  }

  /** The plugin's credential, run once and shared until it expires (or a 401 says it is no good). */
  private async execStatus(user: User, cluster: Cluster | null): Promise<ExecCredentialStatus> {
    const pending = this.execCredentials.get(user.name);
    if (!pending) return this.runExec(user, cluster);
    const status = await pending;
    if (!expired(status)) return status;
    // Expired: the first request to see it runs the plugin again, the others wait for that run.
    const current = this.execCredentials.get(user.name);
    return current && current !== pending ? current : this.runExec(user, cluster);
  }

  private runExec(user: User, cluster: Cluster | null): Promise<ExecCredentialStatus> {
    const running = execCredential(user.name, user.exec as ExecConfig, cluster);
    this.execCredentials.set(user.name, running);
    running.catch(() => this.execCredentials.delete(user.name));
    return running;
  }

  /**
   * A user with an `auth-provider` (oidc, azure, gcp) and a cluster with a `proxy-url` are served
   * by @kubernetes/client-node, loaded only then: kspec does not implement those itself, and
   * what worked before keeps working. Everyone else never loads it.
   */
  private clientNodeFallback(): Promise<KubeConfig> {
    this.fallback ??= import('@kubernetes/client-node').then(({ KubeConfig: ClientNodeKubeConfig }) => {
      const kc = new ClientNodeKubeConfig();
      kc.loadFromOptions({
        clusters: this.clusters.map((c) => ({ ...c, caData: c.caData ?? undefined, caFile: c.caFile ?? undefined, tlsServerName: c.tlsServerName ?? undefined, proxyUrl: c.proxyUrl ?? undefined })),
        users: this.users.map((u) => ({ ...u, token: u.token ?? (u.tokenFile ? readFileSync(u.tokenFile, 'utf8').trim() : undefined) })) as never,
        contexts: this.contexts,
        currentContext: this.currentContext,
      });
      return kc;
    });
    return this.fallback;
  }
}

/** Whether a request with this cluster and user needs client-node (see clientNodeFallback). */
export function needsClientNode(cluster: Cluster | null, user: User | null): boolean {
  return Boolean(cluster?.proxyUrl || user?.authProvider);
}

function expired(status: ExecCredentialStatus): boolean {
  // A little early, so that a request does not leave with a token that expires on its way.
  return status.expirationTimestamp !== undefined && Date.parse(status.expirationTimestamp) - 10_000 <= Date.now();
}

function str(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/** The named entries of a kubeconfig list (`clusters`, `users`, `contexts`) with their body. */
function entries(list: unknown, field: string, body: string, bodyOptional = false): [string, Record<string, unknown>, string][] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error(`${field} is not a list`);
  return list.map((entry: Record<string, unknown> | null, i) => {
    const where = `${field}[${i}]`;
    if (!entry?.name) throw new Error(`${where}.name is missing`);
    const value = entry[body];
    if (!bodyOptional && (value === undefined || value === null)) throw new Error(`${where}.${body} is missing`);
    return [String(entry.name), (value ?? {}) as Record<string, unknown>, where];
  });
}
