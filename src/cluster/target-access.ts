// How the management cluster reaches a remote target: a kubeconfig that stands alone in a Secret
// (one context, no file paths, no plugin the kspec pod lacks), either the user's own credentials
// or those of a ServiceAccount created on the target with only the rights kspec uses there.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from './kube-config.ts';
import YAML from 'yaml';
import { applyObject, kubectlName, readObject } from './apply-object.ts';
import type { AppliedObject } from './apply-object.ts';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const READ = ['get', 'list', 'watch'];

/**
 * What kspec does on a target cluster, and nothing more: keep the Kyverno policies it renders,
 * read Kyverno's reports, and read the namespaces and workloads the compliance engine evaluates.
 * The management cluster's ClusterRole (deploy/rbac/cluster_role.yaml) is this plus kspec's own
 * kinds and Events, which live only there; Secrets and ConfigMaps are absent from both.
 */
export const TARGET_RULES: PolicyRule[] = [
  { apiGroups: ['kyverno.io'], resources: ['clusterpolicies', 'policies'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
  { apiGroups: ['policies.kyverno.io'], resources: ['validatingpolicies'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
  { apiGroups: ['wgpolicyk8s.io'], resources: ['policyreports', 'clusterpolicyreports'], verbs: READ },
  { apiGroups: ['openreports.io'], resources: ['reports', 'clusterreports'], verbs: READ },
  { apiGroups: [''], resources: ['namespaces'], verbs: READ },
  { apiGroups: [''], resources: ['pods', 'services', 'serviceaccounts', 'replicationcontrollers', 'persistentvolumeclaims', 'limitranges', 'resourcequotas'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments', 'daemonsets', 'statefulsets', 'replicasets'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses', 'networkpolicies'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: READ },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: READ },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'], verbs: READ },
];

/** Where the written kubeconfig points: the server kspec's pod uses, when it differs from the user's. */
export interface KubeconfigTarget {
  /** Name of the cluster and context in the written kubeconfig. */
  name: string;
  /** Server address for kspec (default: the one in the user's kubeconfig). */
  server?: string;
}

/**
 * The current context of `kc` as a kubeconfig that stands alone: certificate and key files read
 * into the file, one cluster, one user, one context. An exec plugin or auth provider is refused,
 * since the kspec pod cannot run the user's plugin: a ServiceAccount is the way then.
 */
export function standaloneKubeconfig(kc: KubeConfig, target: KubeconfigTarget): string {
  const user = kc.getCurrentUser();
  if (!user) throw new Error(`context "${kc.getCurrentContext()}" has no user`);
  if (user.exec || user.authProvider) {
    const how = user.exec ? `the exec plugin ${String(user.exec.command)}` : `the auth provider ${String(user.authProvider.name)}`;
    throw new Error(`user "${user.name}" signs in with ${how}, which kspec's pod cannot run; pass --create-service-account to give kspec a ServiceAccount token on the target instead`);
  }
  const credentials: Record<string, unknown> = {};
  if (user.token) credentials.token = user.token;
  const cert = user.certData ?? fileAsBase64(user.certFile);
  const key = user.keyData ?? fileAsBase64(user.keyFile);
  if (cert) credentials['client-certificate-data'] = cert;
  if (key) credentials['client-key-data'] = key;
  if (user.username) credentials.username = user.username;
  if (user.password) credentials.password = user.password;
  if (Object.keys(credentials).length === 0) throw new Error(`user "${user.name}" has no token, client certificate or password to give kspec; pass --create-service-account`);
  return kubeconfigText(kc, target, `${target.name}-user`, credentials);
}

export interface ServiceAccountOptions {
  /** Name of the ServiceAccount, its ClusterRole, ClusterRoleBinding and token Secret prefix. */
  name: string;
  namespace: string;
  /** How long to wait for the cluster's token controller to fill the token Secret. */
  tokenTimeoutMs: number;
  /** Told each object as it is applied on the target (kubectl-style `kind/name`). */
  onApplied?: (what: string) => void;
}

const LABELS = { 'app.kubernetes.io/name': 'kspec', 'app.kubernetes.io/component': 'target-access' };

/**
 * Creates (or brings up to date) on the target, through the user's own `kc`: a ServiceAccount,
 * a ClusterRole with TARGET_RULES bound to it, and a long-lived token Secret, which the
 * cluster's token controller fills. Returns a kubeconfig with that token and the user's view of
 * the server (its CA, its TLS settings): kspec then holds none of the user's credentials.
 */
export async function serviceAccountKubeconfig(kc: KubeConfig, target: KubeconfigTarget, options: ServiceAccountOptions): Promise<string> {
  const { name, namespace } = options;
  const tokenSecret = `${name}-token`;
  const objects: AppliedObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels: LABELS } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: LABELS }, rules: TARGET_RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
    // A token Secret, not a TokenRequest: a requested token expires, and a target whose token
    // expired would stop being reconciled with nobody there to renew it.
    { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: tokenSecret, namespace, labels: LABELS, annotations: { 'kubernetes.io/service-account.name': name } } },
  ];
  for (const object of objects) {
    // An existing namespace is left as it is: applying would take over fields others own.
    if (object.kind === 'Namespace' && (await readObject(kc, object))) continue;
    await applyObject(kc, object);
    options.onApplied?.(`${kubectlName(object)}${object.metadata.namespace ? ` in ${object.metadata.namespace}` : ''}`);
  }
  const token = await filledToken(kc, { namespace, name: tokenSecret }, options.tokenTimeoutMs);
  return kubeconfigText(kc, target, `${namespace}:${name}`, { token });
}

/** Waits for the token controller to write the token into the Secret. */
async function filledToken(kc: KubeConfig, secret: { namespace: string; name: string }, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await readObject<AppliedObject & { data?: Record<string, string> }>(kc, { apiVersion: 'v1', kind: 'Secret', metadata: secret });
    const token = stored?.data?.token;
    if (token) return Buffer.from(token, 'base64').toString('utf8');
    if (Date.now() > deadline) {
      throw new Error(`the token of Secret ${secret.namespace}/${secret.name} was not filled in within ${Math.round(timeoutMs / 1000)} s: the cluster's token controller (kube-controller-manager) fills it; is it running?`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A one-context kubeconfig for the current cluster of `kc`, with these credentials. */
function kubeconfigText(kc: KubeConfig, target: KubeconfigTarget, userName: string, credentials: Record<string, unknown>): string {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`context "${kc.getCurrentContext()}" has no cluster`);
  const ca = cluster.caData ?? fileAsBase64(cluster.caFile);
  const clusterEntry: Record<string, unknown> = { server: target.server ?? cluster.server };
  if (ca) clusterEntry['certificate-authority-data'] = ca;
  if (cluster.skipTLSVerify) clusterEntry['insecure-skip-tls-verify'] = true;
  if (cluster.tlsServerName) clusterEntry['tls-server-name'] = cluster.tlsServerName;
  if (cluster.proxyUrl) clusterEntry['proxy-url'] = cluster.proxyUrl;
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: target.name, cluster: clusterEntry }],
    users: [{ name: userName, user: credentials }],
    contexts: [{ name: target.name, context: { cluster: target.name, user: userName } }],
    'current-context': target.name,
  });
}

function fileAsBase64(path: string | null | undefined): string | undefined {
  return path ? readFileSync(path).toString('base64') : undefined;
}
