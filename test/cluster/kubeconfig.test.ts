import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeConfigFromString, loadKubeConfig } from '../../src/cluster/kubeconfig.ts';
import { cli } from '../support/cli.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'repo');

function kubeconfigText(options: { current?: string; server?: string; insecure?: boolean; contextCluster?: string; contextUser?: string } = {}): string {
  const server = options.server ?? 'https://127.0.0.1:6443';
  return `apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: {server: "${server}"${options.insecure ? ', insecure-skip-tls-verify: true' : ''}}
  - name: staging
    cluster: {server: "https://10.0.0.2:6443"}
users:
  - name: admin
    user: {token: abc}
contexts:
  - name: prod-admin
    context: {cluster: ${options.contextCluster ?? 'prod'}, user: ${options.contextUser ?? 'admin'}}
  - name: staging-admin
    context: {cluster: staging, user: admin}
${options.current === undefined ? 'current-context: prod-admin' : options.current ? `current-context: ${options.current}` : ''}
`;
}

function file(text: string, name = 'config'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'kspec-kubeconfig-')), name);
  writeFileSync(path, text);
  return path;
}

test('--context that the kubeconfig does not have: said as kubectl says it, with the file and the contexts there, exit 2', async () => {
  const path = file(kubeconfigText());
  const run = await cli(['plan', '--repo', EXAMPLES, '--kubeconfig', path, '--context', 'nope']);
  assert.equal(run.code, 2);
  assert.equal(run.err, `kspec plan: context "nope" does not exist in ${path}; contexts there: prod-admin, staging-admin\n`);
  assert.equal(loadKubeConfig({ kubeconfig: path, context: 'staging-admin' }).getCurrentCluster()?.name, 'staging');
});

test('a missing kubeconfig names the file it looked for and the flag to pass', async () => {
  const missing = join(tmpdir(), 'kspec-no-such-kubeconfig');
  const explicit = await cli(['plan', '--repo', EXAMPLES, '--kubeconfig', missing]);
  assert.equal(explicit.code, 2);
  assert.equal(explicit.err, `kspec plan: kubeconfig file ${missing} (--kubeconfig) does not exist\n`);
  const fromEnv = await cli(['reconcile', '--once', '--repo', EXAMPLES], { KUBECONFIG: missing });
  assert.equal(fromEnv.code, 2);
  assert.equal(fromEnv.err, `kspec reconcile: $KUBECONFIG names ${missing}, and none of them exists; pass --kubeconfig FILE\n`);
});

test('no kubeconfig anywhere: says where it looked (never "No active cluster!")', async (t) => {
  if (existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) return t.skip('running in a pod: the service account is the kubeconfig');
  const home = mkdtempSync(join(tmpdir(), 'kspec-home-'));
  const run = await cli(['plan', '--repo', EXAMPLES], { KUBECONFIG: '', HOME: home });
  assert.equal(run.code, 2);
  assert.equal(run.err, `kspec plan: no kubeconfig: $KUBECONFIG is not set, ${join(home, '.kube', 'config')} does not exist, and kspec is not running in a pod with a service account; pass --kubeconfig FILE (and --context NAME) or set KUBECONFIG\n`);
});

test('no current context, a context naming a missing cluster or user, no contexts at all: each named with the file', () => {
  const noCurrent = file(kubeconfigText({ current: '' }));
  assert.throws(() => loadKubeConfig({ kubeconfig: noCurrent }), { message: `${noCurrent} sets no current-context; pass --context NAME; contexts there: prod-admin, staging-admin` });
  const danglingCurrent = file(kubeconfigText({ current: 'gone' }));
  assert.throws(() => loadKubeConfig({ kubeconfig: danglingCurrent }), { message: `current-context "gone" of ${danglingCurrent} does not exist there; pass --context NAME; contexts there: prod-admin, staging-admin` });
  const noCluster = file(kubeconfigText({ contextCluster: 'prd' }));
  assert.throws(() => loadKubeConfig({ kubeconfig: noCluster }), { message: `context "prod-admin" in ${noCluster} names cluster "prd", which is not defined there; clusters there: prod, staging` });
  const noUser = file(kubeconfigText({ contextUser: 'root' }));
  assert.throws(() => loadKubeConfig({ kubeconfig: noUser }), { message: `context "prod-admin" in ${noUser} names user "root", which is not defined there; users there: admin` });
  const empty = file('apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  assert.throws(() => loadKubeConfig({ kubeconfig: empty }), { message: `${empty} defines no contexts; pass --kubeconfig with a kubeconfig for the cluster` });
  const broken = file('clusters: [\n');
  assert.throws(() => loadKubeConfig({ kubeconfig: broken }), (err: Error) => err.message.startsWith(`cannot read kubeconfig ${broken}: `));
});

test('a plain-http server: says what is wrong and the two ways to fix it; insecure-skip-tls-verify is one', async () => {
  const http = file(kubeconfigText({ server: 'http://127.0.0.1:8080' }));
  const run = await cli(['plan', '--repo', EXAMPLES, '--kubeconfig', http]);
  assert.equal(run.code, 2);
  assert.equal(
    run.err,
    `kspec plan: cluster "prod" in ${http} has a plain-HTTP server (http://127.0.0.1:8080), and kspec only talks to an API server over TLS unless told otherwise: use its https:// address, or, for a test server without TLS, set insecure-skip-tls-verify: true on that cluster\n`,
  );
  const insecure = file(kubeconfigText({ server: 'http://127.0.0.1:8080', insecure: true }));
  assert.equal(loadKubeConfig({ kubeconfig: insecure }).getCurrentCluster()?.server, 'http://127.0.0.1:8080');
  // A target's kubeconfig Secret gets the same checks, named by the Secret it came from.
  assert.throws(() => kubeConfigFromString(kubeconfigText({ server: 'http://10.1.1.1' }), 'the kubeconfig in Secret ns/prod (key kubeconfig)'), {
    message: /^cluster "prod" in the kubeconfig in Secret ns\/prod \(key kubeconfig\) has a plain-HTTP server/,
  });
});

test('$KUBECONFIG with several files merges them as kubectl does: missing files skipped, the first current-context and name win', () => {
  const first = file(kubeconfigText({ current: 'staging-admin' }), 'first');
  const second = file(kubeconfigText({ server: 'https://second.example:6443' }).replace(/staging/g, 'qa'), 'second');
  const kc = loadKubeConfig({ env: { KUBECONFIG: [join(tmpdir(), 'kspec-absent'), first, second].join(':') } });
  assert.equal(kc.getCurrentContext(), 'staging-admin');
  assert.deepEqual(kc.getContexts().map((c) => c.name), ['prod-admin', 'staging-admin', 'qa-admin']);
  // prod is in both files: the first file's server wins.
  assert.equal(kc.getCluster('prod')?.server, 'https://127.0.0.1:6443');
  kc.setCurrentContext('qa-admin');
  assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.2:6443');
});
