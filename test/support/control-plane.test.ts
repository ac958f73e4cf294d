import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiException, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { KUBECONFIG_ENV, uniqueName } from './cluster.ts';
import { kubeRequest } from '../../scripts/lib/kube-http.ts';

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A private control plane: this file tests starting and stopping one. It needs the binaries,
// which `npm test` has already located or built, so it runs only there.
describe('startControlPlane', { skip: process.env[KUBECONFIG_ENV] ? false : 'no control plane: run npm test' }, () => {
  let dir: string;
  let cp: ControlPlane;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kspec-cp-'));
    cp = await startControlPlane({ dir });
  });
  after(async () => {
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves Kubernetes 1.20 over verified TLS on loopback', async () => {
    assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const cluster = kc.getCurrentCluster()!;
    assert.equal(cluster.skipTLSVerify, false);
    assert.ok(cluster.caData, 'the kubeconfig pins the CA');
    const version = (await kubeRequest(cp.endpoint, 'GET', '/version')).json();
    assert.equal(version.major, '1');
    assert.equal(version.minor, '20');
    // Another CA must not be accepted: TLS really is verified.
    await assert.rejects(
      kubeRequest({ ...cp.endpoint, caPem: '' }, 'GET', '/version'),
      /certificate|self.signed|issuer/i,
    );
  });

  it('keeps the admin token out of sight and logs in the data folder', async () => {
    const mode = (await stat(path.join(dir, 'tokens.csv'))).mode & 0o777;
    assert.equal(mode, 0o600);
    assert.equal((await stat(cp.kubeconfigPath)).mode & 0o777, 0o600);
    const log = await readFile(path.join(dir, 'kube-apiserver.log'), 'utf8');
    assert.ok(log.length > 0);
    assert.ok(!log.includes(cp.endpoint.token), 'the token never reaches the log');
  });

  it('rejects a wrong token with 401', async () => {
    const res = await kubeRequest({ ...cp.endpoint, token: 'nope' }, 'GET', '/api/v1/namespaces', { allow: [401] });
    assert.equal(res.status, 401);
  });

  it('issues ServiceAccount tokens that RBAC denies until a role is bound', async () => {
    const ns = uniqueName('rbac');
    const saPath = await cp.serviceAccountKubeconfig(ns, 'reader');
    const sa = new KubeConfig();
    sa.loadFromFile(saPath);
    const saCore = sa.makeApiClient(CoreV1Api);
    assert.equal(await statusOf(saCore.listNamespacedConfigMap({ namespace: ns })), 403);
    assert.equal(await statusOf(saCore.listNamespace()), 403);

    const admin = new KubeConfig();
    admin.loadFromFile(cp.kubeconfigPath);
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'read-configmaps' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    // The RBAC authorizer reads through an informer: allow it a moment.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await statusOf(saCore.listNamespacedConfigMap({ namespace: ns }));
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200);
    // Still nothing outside the grant.
    assert.equal(await statusOf(saCore.listNamespacedSecret({ namespace: ns })), 403);
    assert.equal(await statusOf(saCore.listNamespacedConfigMap({ namespace: 'default' })), 403);
  });

  it('stop() ends both processes and waits for them', async () => {
    const dir2 = await mkdtemp(path.join(tmpdir(), 'kspec-cp-'));
    try {
      const other = await startControlPlane({ dir: dir2 });
      const pids = findProcesses(['etcd', 'kube-apiserver'], dir2);
      assert.equal(pids.length, 2, 'etcd and kube-apiserver run');
      await other.stop();
      for (const pid of pids) assert.equal(pidAlive(pid), false, `pid ${pid} is gone`);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });
});

/** Pids of processes named `names` whose command line mentions `dir`. */
function findProcesses(names: string[], dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (names.includes(path.basename(argv[0])) && argv.some((a) => a.includes(dir))) out.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return out;
}
