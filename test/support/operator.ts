// Helpers for the operator tests (test/operator): spec and target YAML, the deployed RBAC bound
// to a test ServiceAccount, `kspec run` as a child process, and polling.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, RbacAuthorizationV1Api, CustomObjectsApi, type KubernetesObject, type V1PolicyRule } from '@kubernetes/client-node';
import YAML from 'yaml';
import type { TestCluster } from './cluster.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

/**
 * A ClusterPolicy requiring the label app on Pods. With `namespace`, it matches only that
 * namespace, so parallel tests never assess each other's Pods.
 */
export const policyYaml = (name: string, opts: { namespace?: string; rule?: string; message?: string } = {}) => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: ${name}
spec:
  rules:
    - name: ${opts.rule ?? 'check'}
      match:
        any:
          - resources:
              kinds: [Pod]${opts.namespace ? `\n              namespaces: [${opts.namespace}]` : ''}
      validate:
        message: ${opts.message ?? 'label app is required'}
        pattern:
          metadata:
            labels:
              app: "?*"`;

/**
 * A ValidatingPolicy requiring the label app on Pods; with `namespace`, only Pods of that
 * namespace (a matchCondition), so parallel tests never assess each other's Pods.
 */
export const validatingPolicyYaml = (name: string, opts: { namespace?: string; apiVersion?: string } = {}) => `apiVersion: ${opts.apiVersion ?? 'policies.kyverno.io/v1'}
kind: ValidatingPolicy
metadata:
  name: ${name}
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [pods]${opts.namespace ? `\n  matchConditions:\n    - name: test-namespace\n      expression: "object.metadata.namespace == '${opts.namespace}'"` : ''}
  validations:
    - expression: "object.metadata.?labels.?app.orValue('') != ''"
      message: label app is required`;

/** A ClusterSpecification with one policy whose checks are the given Kyverno policies. */
export function specYaml(name: string, ns: string, opts: { mode?: string; remediation?: string; target?: string; checks: Record<string, string> }): string {
  const body = Object.entries(opts.checks)
    .map(([id, text]) => `        - id: ${id}\n          kyvernoPolicy: |\n${text.split('\n').map((l) => `            ${l}`).join('\n')}\n`)
    .join('');
  return `apiVersion: kspec.io/v1alpha1
kind: ClusterSpecification
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  targetClusterRef:
    name: ${opts.target ?? 'local'}
  enforcementMode: ${opts.mode ?? 'enforce'}${opts.remediation ? `\n  remediation: ${opts.remediation}` : ''}
  policies:
    - id: labels
      title: Labels
      severity: high
      checks:
${body}`;
}

export const inClusterTarget = (ns: string, name = 'local') =>
  `apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  inCluster: true\n  version: "1.20.2"\n`;

export const remoteTarget = (ns: string, name: string, secret: string) =>
  `apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  kubeconfig:\n    secretRef:\n      name: ${secret}\n  version: "1.20.2"\n`;

/**
 * Stores a kubeconfig in a Secret of the test namespace, as an operator would for a remote
 * ClusterTarget (`kubeconfig.secretRef`). `kubeconfig` is the file's text.
 */
export async function kubeconfigSecret(cluster: TestCluster, ns: string, name: string, kubeconfig: string, key = 'kubeconfig'): Promise<void> {
  await KubernetesObjectApi.makeApiClient(cluster.kc).create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    data: { [key]: Buffer.from(kubeconfig).toString('base64') },
  } as KubernetesObject);
}

function rbacRules(file: string): V1PolicyRule[] {
  const doc = YAML.parse(readFileSync(join(ROOT, 'deploy/rbac', file), 'utf8')) as { rules: V1PolicyRule[] };
  return doc.rules;
}

/**
 * Binds the ServiceAccount `kspec` in `ns` with exactly deploy/rbac's rules: a copy of the
 * ClusterRole (under a unique name, so parallel tests and edits of the file do not collide)
 * through a ClusterRoleBinding, and role.yaml's rules as a Role in `ns` (the test's stand-in
 * for kspec-system). `leaseName` replaces the Role's resourceNames ["kspec-leader"], as a shard
 * with its own Lease name would. Returns the ServiceAccount's kubeconfig path; everything is
 * removed again in t.after.
 */
export async function kspecServiceAccount(
  t: { after(fn: () => Promise<void>): void },
  cluster: TestCluster,
  ns: string,
  opts: { leaseName?: string } = {},
): Promise<string> {
  const rbac = cluster.kc.makeApiClient(RbacAuthorizationV1Api);
  const name = `kspec-manager-${ns}`;
  const labels = { 'kspec.io/test': 'operator' };
  await rbac.createClusterRole({ body: { metadata: { name, labels }, rules: rbacRules('cluster_role.yaml') } });
  t.after(async () => {
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'kspec', namespace: ns }],
    },
  });
  const roleRules = rbacRules('role.yaml').map((r) =>
    opts.leaseName && r.resourceNames?.includes('kspec-leader') ? { ...r, resourceNames: r.resourceNames.map((n) => (n === 'kspec-leader' ? opts.leaseName! : n)) } : r,
  );
  await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'kspec-manager', namespace: ns }, rules: roleRules } });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'kspec-manager', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kspec-manager' },
      subjects: [{ kind: 'ServiceAccount', name: 'kspec', namespace: ns }],
    },
  });
  const kubeconfigPath = await cluster.serviceAccountKubeconfig(ns, 'kspec');
  // The RBAC authorizer sees new bindings through an informer: wait until the account can list.
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await waitFor('the ServiceAccount bindings to take effect', 15_000, async () => {
    try {
      await custom.listClusterCustomObject({ group: 'kyverno.io', version: 'v1', plural: 'clusterpolicies', limit: 1 });
      await custom.listNamespacedCustomObject({ group: 'kspec.io', version: 'v1alpha1', plural: 'driftreports', namespace: ns, limit: 1 });
      return true;
    } catch {
      return false;
    }
  });
  return kubeconfigPath;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every `everyMs` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface KspecProcess {
  child: ChildProcess;
  port: number;
  base: string;
  pid: number;
  stderr(): string;
  exited: Promise<number | null>;
  metrics(): Promise<string>;
  /** Value of an unlabelled gauge such as kspec_leader, or undefined when unreachable. */
  gauge(name: string): Promise<number | undefined>;
  /** Log lines (parsed JSON) whose msg matches. */
  logs(msg: string | RegExp): Record<string, unknown>[];
}

/** `node bin/kspec.js run ...` as a child; killed with SIGKILL in t.after if still running. */
export async function startKspecRun(
  t: { after(fn: () => Promise<void> | void): void },
  args: string[],
  env: Record<string, string>,
): Promise<KspecProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin/kspec.js'), 'run', ...args, '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, KSPEC_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? -1 : null))));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${port}`;
  const metrics = async () => (await fetch(`${base}/metrics`)).text();
  return {
    child,
    port,
    base,
    pid: child.pid!,
    stderr: () => stderr,
    exited,
    metrics,
    async gauge(name) {
      try {
        const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await metrics());
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
    logs(msg) {
      const out: Record<string, unknown>[] = [];
      for (const line of stderr.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const o = JSON.parse(line) as Record<string, unknown>;
          if (typeof o.msg === 'string' && (typeof msg === 'string' ? o.msg === msg : msg.test(o.msg))) out.push(o);
        } catch {
          /* partial line */
        }
      }
      return out;
    },
  };
}
