// Credentials from a kubeconfig user's exec plugin (client.authentication.k8s.io v1 and v1beta1):
// the command runs with the kubeconfig's args and env plus KUBERNETES_EXEC_INFO, and prints an
// ExecCredential whose status holds a bearer token or a client certificate and key, and maybe
// when they expire. Caching them is the KubeConfig's (kube-config.ts).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Cluster } from './kube-config.ts';

export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  installHint?: string;
  provideClusterInfo?: boolean;
}

export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** RFC 3339; absent: good until the server refuses it. */
  expirationTimestamp?: string;
}

const API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
/** A plugin that asks a person something would wait forever: kspec never runs one interactively. */
const PLUGIN_TIMEOUT_MS = 60_000;

/** Runs the plugin of user `userName` and returns the credential it printed. */
export function execCredential(userName: string, exec: ExecConfig, cluster: Cluster | null): Promise<ExecCredentialStatus> {
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1';
  const said = `the exec plugin ${exec.command} of user "${userName}"`;
  if (!API_VERSIONS.includes(apiVersion)) {
    return Promise.reject(new Error(`${said} has apiVersion ${apiVersion}; kspec runs ${API_VERSIONS.join(' and ')}`));
  }
  const info = {
    apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo && cluster ? { cluster: clusterInfo(cluster) } : {}),
    },
  };
  const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])), KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  return new Promise((resolve, reject) => {
    execFile(exec.command, exec.args ?? [], { env, timeout: PLUGIN_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' && exec.installHint ? `; ${exec.installHint.trim()}` : '';
        const why = stderr.trim().split('\n').at(-1) || err.message;
        reject(new Error(`${said} failed: ${why}${hint}`));
        return;
      }
      let credential: { apiVersion?: string; kind?: string; status?: ExecCredentialStatus };
      try {
        credential = JSON.parse(stdout);
      } catch {
        reject(new Error(`${said} printed no ExecCredential JSON`));
        return;
      }
      if (credential.kind !== 'ExecCredential' || credential.apiVersion !== apiVersion) {
        reject(new Error(`${said} printed ${credential.apiVersion ?? 'no apiVersion'} ${credential.kind ?? 'no kind'}, not the ${apiVersion} ExecCredential it was asked for`));
        return;
      }
      const status = credential.status ?? {};
      if (!status.token && !(status.clientCertificateData && status.clientKeyData)) {
        reject(new Error(`${said} printed an ExecCredential with neither status.token nor status.clientCertificateData and clientKeyData`));
        return;
      }
      resolve(status);
    });
  });
}

/** The cluster as the plugin is told it when the kubeconfig says provideClusterInfo. */
function clusterInfo(cluster: Cluster): Record<string, unknown> {
  const info: Record<string, unknown> = { server: cluster.server };
  if (cluster.tlsServerName) info['tls-server-name'] = cluster.tlsServerName;
  if (cluster.skipTLSVerify) info['insecure-skip-tls-verify'] = true;
  const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  if (ca) info['certificate-authority-data'] = ca;
  if (cluster.proxyUrl) info['proxy-url'] = cluster.proxyUrl;
  return info;
}
