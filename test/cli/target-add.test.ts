// `kspec target add` on the suite's real API server, which plays both the management cluster
// and the cluster being added: what it prints validates and applies, --apply writes it, and the
// ServiceAccount it creates can do what kspec does on a target and nothing it must not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import YAML from 'yaml';
import { cli } from '../support/cli.ts';
import { testCluster, uniqueName } from '../support/cluster.ts';
import type { TestCluster } from '../support/cluster.ts';
import { policyYaml, specYaml, ROOT } from '../support/operator.ts';
import { kubeConfigFromString } from '../../src/cluster/kubeconfig.ts';
import { standaloneKubeconfig, TARGET_RULES } from '../../src/cluster/target-access.ts';

type Printed = { kind: string; metadata: { name: string; namespace: string }; data?: Record<string, string>; spec?: Record<string, unknown> };

function specRepo(ns: string, target: string, policy: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-target-add-'));
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'specs/spec.yaml'), specYaml(`spec-${policy}`, ns, { target, checks: { app: policyYaml(policy, { namespace: ns }) } }));
  return dir;
}

async function clusterPolicyExists(cluster: TestCluster, name: string): Promise<boolean> {
  return cluster.kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({ group: 'kyverno.io', version: 'v1', plural: 'clusterpolicies', name }).then(() => true, () => false);
}

/**
 * What kube-controller-manager's token controller does, which the suite's control plane does
 * not run: fills each ServiceAccount token Secret of `namespace` with a token the API server
 * issues for that account, bound to the Secret (valid while the Secret exists).
 */
function tokenController(cluster: TestCluster, namespace: string): { stop(): void } {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  let running = true;
  void (async () => {
    while (running) {
      const secrets = await core.listNamespacedSecret({ namespace, fieldSelector: 'type=kubernetes.io/service-account-token' }).catch(() => ({ items: [] }));
      for (const secret of secrets.items) {
        const account = secret.metadata?.annotations?.['kubernetes.io/service-account.name'];
        if (!account || secret.data?.token) continue;
        const issued = await core.createNamespacedServiceAccountToken({
          name: account,
          namespace,
          body: { spec: { audiences: [], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: secret.metadata!.name!, uid: secret.metadata!.uid! } } },
        }).catch(() => undefined);
        if (!issued?.status?.token) continue;
        const b64 = (text: string) => Buffer.from(text).toString('base64');
        await core.replaceNamespacedSecret({ name: secret.metadata!.name!, namespace, body: { ...secret, data: { token: b64(issued.status.token), namespace: b64(namespace) } } }).catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return { stop: () => void (running = false) };
}

test('target add prints a Secret and a ClusterTarget that kspec validate accepts, the API server stores, and a pass reaches the cluster with', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('tadd');
  const printed = await cli(['target', 'add', 'prod', '--target-kubeconfig', cluster.kubeconfigPath, '--platform', 'kind', '-n', ns]);
  assert.equal(printed.code, 0, printed.err);
  const docs = YAML.parseAllDocuments(printed.out).map((d) => d.toJS() as Printed);
  assert.deepEqual(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`), [`Secret ${ns}/prod-kubeconfig`, `ClusterTarget ${ns}/prod`]);
  assert.deepEqual(docs[1].spec, { inCluster: false, kubeconfig: { secretRef: { name: 'prod-kubeconfig', key: 'kubeconfig' } }, platform: 'kind', version: '1.20' });
  // Your own credentials, in a kubeconfig that needs no file: the admin token and the CA inline.
  const kubeconfig = kubeConfigFromString(Buffer.from(docs[0].data!.kubeconfig, 'base64').toString('utf8'), 'the printed Secret');
  assert.equal(kubeconfig.getCurrentUser()?.token, cluster.kc.getCurrentUser()?.token);
  assert.equal(kubeconfig.getCurrentCluster()?.server, cluster.kc.getCurrentCluster()?.server);
  assert.ok(kubeconfig.getCurrentCluster()?.caData);

  const dir = mkdtempSync(join(tmpdir(), 'kspec-printed-'));
  writeFileSync(join(dir, 'prod.yaml'), printed.out);
  const validated = await cli(['validate', dir]);
  assert.equal(validated.code, 0, validated.err);
  assert.match(validated.out, /0 specifications, 1 targets, 0 checks, 0 errors/);
  await cluster.applyManifests([join(dir, 'prod.yaml')]);

  const policy = uniqueName('printed');
  const pass = await cli(['reconcile', '--once', '--repo', specRepo(ns, 'prod', policy), '--kubeconfig', cluster.kubeconfigPath, '-n', ns, '--cache-dir', dir], { KSPEC_LOG_LEVEL: 'error' });
  assert.equal(pass.code, 0, pass.out + pass.err);
  assert.ok(await clusterPolicyExists(cluster, policy), 'the pass reached the target through the printed Secret');
});

test('target add --create-service-account --apply: a least-privilege ServiceAccount on the cluster, its token in the Secret, and a pass goes through it', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('tadd-mgmt');
  const saNamespace = await cluster.namespace('tadd-remote');
  const account = uniqueName('kspec-target');
  const controller = tokenController(cluster, saNamespace);
  t.after(() => controller.stop());
  const rbac = cluster.kc.makeApiClient(RbacAuthorizationV1Api);
  t.after(async () => {
    await rbac.deleteClusterRoleBinding({ name: account }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: account }).catch(() => undefined);
  });

  const args = ['target', 'add', 'remote', '--target-kubeconfig', cluster.kubeconfigPath, '--create-service-account', '--service-account', account, '--service-account-namespace', saNamespace, '--apply', '--kubeconfig', cluster.kubeconfigPath, '-n', ns];
  const added = await cli(args);
  assert.equal(added.code, 0, added.err);
  assert.equal(added.out, `secret/remote-kubeconfig serverside-applied in ${ns}\nclustertarget.kspec.io/remote serverside-applied in ${ns}\n`);
  assert.equal(
    added.err,
    [`serviceaccount/${account} in ${saNamespace}`, `clusterrole.rbac.authorization.k8s.io/${account}`, `clusterrolebinding.rbac.authorization.k8s.io/${account}`, `secret/${account}-token in ${saNamespace}`]
      .map((what) => `${what} serverside-applied on the target cluster\n`)
      .join(''),
  );
  // Running it again changes nothing and still succeeds.
  assert.equal((await cli(args)).code, 0);

  const role = await rbac.readClusterRole({ name: account });
  assert.deepEqual(role.rules?.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs })), TARGET_RULES);
  const secret = await cluster.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'remote-kubeconfig', namespace: ns });
  const text = Buffer.from(secret.data!.kubeconfig, 'base64').toString('utf8');
  assert.notEqual(kubeConfigFromString(text, 'the applied Secret').getCurrentUser()?.token, cluster.kc.getCurrentUser()?.token, 'the ServiceAccount\'s token, not the admin\'s');
  const kc = new KubeConfig();
  kc.loadFromString(text);

  // What kspec does on a target, it may; what it must not, it may not.
  await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'kyverno.io', version: 'v1', plural: 'clusterpolicies' });
  await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces();
  const forbidden = async (what: string, call: () => Promise<unknown>) =>
    assert.rejects(call(), (err: { code?: number }) => err.code === 403, `${what} must be forbidden`);
  await forbidden('reading Secrets', () => kc.makeApiClient(CoreV1Api).listSecretForAllNamespaces());
  await forbidden('reading ConfigMaps', () => kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: saNamespace }));
  await forbidden('creating namespaces', () => kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: uniqueName('nope') } } }));
  await forbidden('changing RBAC', () => kc.makeApiClient(RbacAuthorizationV1Api).createClusterRole({ body: { metadata: { name: uniqueName('nope') }, rules: [] } }));
  await forbidden('writing kspec\'s own objects', () => kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ group: 'kspec.io', version: 'v1alpha1', namespace: ns, plural: 'clustertargets', body: { apiVersion: 'kspec.io/v1alpha1', kind: 'ClusterTarget', metadata: { name: 'x' }, spec: { version: '1.20' } } }));

  const cache = mkdtempSync(join(tmpdir(), 'kspec-tadd-cache-'));
  const first = uniqueName('via-sa');
  const pass = await cli(['reconcile', '--once', '--repo', specRepo(ns, 'remote', first), '--kubeconfig', cluster.kubeconfigPath, '-n', ns, '--cache-dir', cache], { KSPEC_LOG_LEVEL: 'error' });
  assert.equal(pass.code, 0, pass.out + pass.err);
  assert.ok(await clusterPolicyExists(cluster, first));
  // The pass went through the ServiceAccount: without its binding, the target refuses it.
  await rbac.deleteClusterRoleBinding({ name: account });
  const second = uniqueName('via-sa');
  const refused = await cli(['reconcile', '--once', '--repo', specRepo(ns, 'remote', second), '--kubeconfig', cluster.kubeconfigPath, '-n', ns, '--cache-dir', cache], { KSPEC_LOG_LEVEL: 'error' });
  assert.equal(refused.code, 1);
  assert.match(refused.out, new RegExp(`system:serviceaccount:${saNamespace}:${account}`));
  assert.equal(await clusterPolicyExists(cluster, second), false);
});

test('the target ClusterRole is the management one without kspec\'s own kinds and Events', () => {
  const management = YAML.parse(readFileSync(join(ROOT, 'deploy/rbac/cluster_role.yaml'), 'utf8')) as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
  const targetSide = management.rules.filter((r) => !r.apiGroups.includes('kspec.io') && !r.resources.includes('events'));
  assert.deepEqual(TARGET_RULES, targetSide);
});

test('the user\'s kubeconfig stands alone in the Secret: certificate files read in; an exec plugin is refused with the way out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kspec-standalone-'));
  writeFileSync(join(dir, 'client.crt'), 'CERT');
  writeFileSync(join(dir, 'client.key'), 'KEY');
  writeFileSync(join(dir, 'ca.crt'), 'CA');
  const base = (user: string) => `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", certificate-authority: ca.crt}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;
  writeFileSync(join(dir, 'certs'), base('{client-certificate: client.crt, client-key: client.key}'));
  const kc = new KubeConfig();
  kc.loadFromFile(join(dir, 'certs'));
  const written = YAML.parse(standaloneKubeconfig(kc, { name: 'prod', server: 'https://prod.internal:6443' }));
  assert.deepEqual(written.clusters, [{ name: 'prod', cluster: { server: 'https://prod.internal:6443', 'certificate-authority-data': Buffer.from('CA').toString('base64') } }]);
  assert.deepEqual(written.users[0].user, { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') });
  assert.equal(written['current-context'], 'prod');

  writeFileSync(join(dir, 'exec'), base('{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}}'));
  const exec = new KubeConfig();
  exec.loadFromFile(join(dir, 'exec'));
  assert.throws(() => standaloneKubeconfig(exec, { name: 'prod' }), { message: 'user "u" signs in with the exec plugin aws, which kspec\'s pod cannot run; pass --create-service-account to give kspec a ServiceAccount token on the target instead' });
});
