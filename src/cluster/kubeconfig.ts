import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from './kube-config.ts';
import { KspecKubeConfig } from './kube-config.ts';

export interface KubeConfigOptions {
  kubeconfig?: string;
  context?: string;
  /** The environment $KUBECONFIG and $HOME are read from; default: the process's. */
  env?: NodeJS.ProcessEnv;
}

/** A kubeconfig kspec cannot use, said so that the person reading it knows what to change. */
export class KubeConfigError extends Error {}

/** Where a pod finds its service account token; its presence means kspec runs in a cluster. */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The kubeconfig kubectl would use: an explicit file, else the files of $KUBECONFIG merged (the
 * first to set a name or the current context wins; files that do not exist are skipped), else
 * ~/.kube/config, else the in-cluster service account. Every way it can be unusable (no file, an
 * unknown context, a context naming a missing cluster, a plain-http server) is a KubeConfigError
 * naming the file and what to pass instead: the client library would otherwise fail later with
 * `No active cluster!` or a TLS message that names neither.
 */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const env = options.env ?? process.env;
  const { kc, files } = readKubeConfig(options.kubeconfig, env);
  const where = files.join(', ');
  if (files.length === 0) return kc; // in-cluster: the service account, nothing to choose
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      throw new KubeConfigError(`context "${options.context}" does not exist in ${where}${listed('contexts', kc.getContexts().map((c) => c.name))}`);
    }
    kc.setCurrentContext(options.context);
  } else if (kc.getContexts().length === 0) {
    throw new KubeConfigError(`${where} defines no contexts; pass --kubeconfig with a kubeconfig for the cluster`);
  } else if (!kc.getCurrentContext()) {
    throw new KubeConfigError(`${where} sets no current-context; pass --context NAME${listed('contexts', kc.getContexts().map((c) => c.name))}`);
  } else if (!kc.getContextObject(kc.getCurrentContext())) {
    throw new KubeConfigError(`current-context "${kc.getCurrentContext()}" of ${where} does not exist there; pass --context NAME${listed('contexts', kc.getContexts().map((c) => c.name))}`);
  }
  checkUsable(kc, where);
  return kc;
}

/**
 * A kubeconfig read from a Secret or a string: its current context must name a cluster with an
 * https server (or one that says insecure-skip-tls-verify). `where` names it in the message.
 */
export function kubeConfigFromString(text: string, where: string): KubeConfig {
  const kc = new KspecKubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    throw new KubeConfigError(`${where} is not a usable kubeconfig: ${(err as Error).message}`);
  }
  if (!kc.getCurrentContext() || !kc.getContextObject(kc.getCurrentContext())) {
    throw new KubeConfigError(`${where} has no current-context naming one of its contexts${listed('contexts', kc.getContexts().map((c) => c.name))}`);
  }
  checkUsable(kc, where);
  return kc;
}

function readKubeConfig(explicit: string | undefined, env: NodeJS.ProcessEnv): { kc: KubeConfig; files: string[] } {
  if (explicit) {
    if (!existsSync(explicit)) throw new KubeConfigError(`kubeconfig file ${explicit} (--kubeconfig) does not exist`);
    return { kc: readFile(explicit), files: [explicit] };
  }
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length > 0) {
    const present = fromEnv.filter((file) => existsSync(file));
    if (present.length === 0) throw new KubeConfigError(`$KUBECONFIG names ${fromEnv.join(', ')}, and none of them exists; pass --kubeconfig FILE`);
    return { kc: merged(present.map(readFile)), files: present };
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return { kc: readFile(home), files: [home] };
  if (existsSync(IN_CLUSTER_TOKEN)) {
    const kc = new KspecKubeConfig();
    kc.loadFromCluster();
    return { kc, files: [] };
  }
  throw new KubeConfigError(`no kubeconfig: $KUBECONFIG is not set, ${home} does not exist, and kspec is not running in a pod with a service account; pass --kubeconfig FILE (and --context NAME) or set KUBECONFIG`);
}

function readFile(file: string): KubeConfig {
  const kc = new KspecKubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  return kc;
}

/** kubectl's merge: the first file to define a name, or a current context, wins. */
function merged(configs: KubeConfig[]): KubeConfig {
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Map<string, T>();
    for (const item of lists.flat()) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  const kc = new KspecKubeConfig();
  kc.loadFromOptions({
    clusters: firstByName(configs.map((c) => c.getClusters())),
    users: firstByName(configs.map((c) => c.getUsers())),
    contexts: firstByName(configs.map((c) => c.getContexts())),
    currentContext: configs.map((c) => c.getCurrentContext()).find(Boolean) ?? '',
  });
  return kc;
}

/** The current context's cluster and user exist, and the server is one kspec can talk to. */
function checkUsable(kc: KubeConfig, where: string): void {
  const contextName = kc.getCurrentContext();
  const context = kc.getContextObject(contextName)!;
  const cluster = kc.getCluster(context.cluster);
  if (!cluster) throw new KubeConfigError(`context "${contextName}" in ${where} names cluster "${context.cluster}", which is not defined there${listed('clusters', kc.getClusters().map((c) => c.name))}`);
  if (context.user && !kc.getUser(context.user)) throw new KubeConfigError(`context "${contextName}" in ${where} names user "${context.user}", which is not defined there${listed('users', kc.getUsers().map((u) => u.name))}`);
  if (!cluster.server) throw new KubeConfigError(`cluster "${cluster.name}" in ${where} has no server address`);
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new KubeConfigError(
      `cluster "${cluster.name}" in ${where} has a plain-HTTP server (${cluster.server}), and kspec only talks to an API server over TLS unless told otherwise: use its https:// address, or, for a test server without TLS, set insecure-skip-tls-verify: true on that cluster`,
    );
  }
}

function listed(what: string, names: string[]): string {
  if (names.length === 0) return `; it defines no ${what}`;
  const shown = names.slice(0, 8);
  return `; ${what} there: ${shown.join(', ')}${names.length > shown.length ? `, and ${names.length - shown.length} more` : ''}`;
}
