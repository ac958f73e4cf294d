// kspec's own KubeConfig (src/cluster/kube-config.ts): what it reads from kubeconfig files and
// what it sends. The credential tests talk to the real API server of the suite: a request only
// succeeds there with the admin token, so a passing request shows the token got through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { KspecKubeConfig } from '../../src/cluster/kube-config.ts';
import { loadKubeConfig } from '../../src/cluster/kubeconfig.ts';
import { kubeJson } from '../../src/cluster/http-get.ts';
import { ClusterError } from '../../src/cluster/api-error.ts';
import { testCluster } from '../support/cluster.ts';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'kspec-kube-config-'));
}

test('relative certificate, key and token paths are read relative to their kubeconfig, also when $KUBECONFIG merges files from two folders', async () => {
  const one = dir();
  const two = dir();
  writeFileSync(join(one, 'ca.crt'), 'CA ONE');
  writeFileSync(join(two, 'client.crt'), 'CERT TWO');
  writeFileSync(join(two, 'client.key'), 'KEY TWO');
  writeFileSync(join(two, 'token'), 'token-two\n');
  writeFileSync(join(one, 'config'), `
clusters: [{name: prod, cluster: {server: "https://prod.example:6443/", certificate-authority: ca.crt, tls-server-name: api.prod}}]
contexts: [{name: prod, context: {cluster: prod, user: alice, namespace: team}}]
current-context: prod
`);
  writeFileSync(join(two, 'config'), `
users:
  - name: alice
    user: {client-certificate: client.crt, client-key: ./client.key, tokenFile: token, as: bob}
`);
  const kc = loadKubeConfig({ env: { KUBECONFIG: `${join(one, 'config')}:${join(two, 'config')}` } });
  assert.equal(kc.getCurrentCluster()?.server, 'https://prod.example:6443', 'the trailing slash is dropped');
  assert.equal(kc.getContextObject('prod')?.namespace, 'team');
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  assert.equal(String(opts.ca), 'CA ONE');
  assert.equal(String(opts.cert), 'CERT TWO');
  assert.equal(String(opts.key), 'KEY TWO');
  assert.equal(opts.servername, 'api.prod');
  assert.deepEqual(opts.headers, { Authorization: 'Bearer token-two', 'Impersonate-User': 'bob' });
});

test('inline data, insecure-skip-tls-verify and basic auth are applied; an entry without its name or server is an error naming it', async () => {
  const kc = new KspecKubeConfig();
  kc.loadFromString(`
clusters: [{name: c, cluster: {server: "https://c", certificate-authority-data: ${Buffer.from('CA').toString('base64')}, insecure-skip-tls-verify: true}}]
users: [{name: u, user: {username: ann, password: "s3cret", client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`);
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  assert.equal(opts.rejectUnauthorized, false);
  assert.equal(opts.auth, 'ann:s3cret');
  assert.deepEqual([String(opts.ca), String(opts.cert), String(opts.key)], ['CA', 'CERT', 'KEY']);

  assert.throws(() => new KspecKubeConfig().loadFromString('clusters: [{cluster: {server: "https://x"}}]'), { message: 'clusters[0].name is missing' });
  assert.throws(() => new KspecKubeConfig().loadFromString('clusters: [{name: a, cluster: {}}]'), { message: 'clusters[0].cluster.server is missing' });
  assert.throws(() => new KspecKubeConfig().loadFromString('contexts: [{name: a}]'), { message: 'contexts[0].context is missing' });
  assert.throws(() => new KspecKubeConfig().loadFromString('users: {name: a}'), { message: 'users is not a list' });
});

/**
 * A kubeconfig for the test API server whose user is the exec plugin `script`, written to a new
 * folder with the admin token (which the plugin may print); `runs()` counts the plugin's runs
 * when it appends a line to $PLUGIN_STATE/runs each time.
 */
function execKubeconfig(cluster: { server: string; caPem: string; token: string }, script: string, apiVersion: string): { kc: KspecKubeConfig; folder: string; runs(): number } {
  const folder = dir();
  writeFileSync(join(folder, 'admin-token'), cluster.token);
  const plugin = join(folder, 'plugin.sh');
  writeFileSync(plugin, script);
  chmodSync(plugin, 0o755);
  writeFileSync(join(folder, 'ca.crt'), cluster.caPem);
  writeFileSync(join(folder, 'config'), `
clusters: [{name: test, cluster: {server: "${cluster.server}", certificate-authority: ca.crt}}]
users:
  - name: plugin-user
    user:
      exec:
        apiVersion: ${apiVersion}
        command: ./plugin.sh
        args: [--flavour, mint]
        env: [{name: PLUGIN_STATE, value: "${folder}"}]
        provideClusterInfo: true
contexts: [{name: test, context: {cluster: test, user: plugin-user}}]
current-context: test
`);
  const kc = new KspecKubeConfig();
  kc.loadFromFile(join(folder, 'config'));
  return { kc, folder, runs: () => readFileSync(join(folder, 'runs'), 'utf8').trim().split('\n').length };
}

test('an exec plugin (v1) is run with its args, env and KUBERNETES_EXEC_INFO; its token is cached, and fetched again after a 401', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  // The first run hands out a token the server refuses; every later run the admin token.
  const { kc, folder, runs } = execKubeconfig(cluster.endpoint, `#!/bin/sh
echo run >> "$PLUGIN_STATE/runs"
printf '%s\\n' "$*" > "$PLUGIN_STATE/args"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$PLUGIN_STATE/info"
if [ "$(wc -l < "$PLUGIN_STATE/runs")" -eq 1 ]; then token=revoked; else token=$(cat "$PLUGIN_STATE/admin-token"); fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$token"
`, 'client.authentication.k8s.io/v1');

  const list = await kubeJson<{ kind: string }>(kc, '/api/v1/namespaces?limit=1');
  assert.equal(list.kind, 'NamespaceList', 'the admin token reached the API server');
  assert.equal(runs(), 2, 'run once, refused with 401, run again');
  await kubeJson(kc, '/api/v1/namespaces?limit=1');
  await kubeJson(kc, '/api/v1/namespaces?limit=1');
  assert.equal(runs(), 2, 'a token without expirationTimestamp is kept until the server refuses it');

  assert.equal(readFileSync(join(folder, 'args'), 'utf8').trim(), '--flavour mint');
  const info = JSON.parse(readFileSync(join(folder, 'info'), 'utf8'));
  assert.equal(info.apiVersion, 'client.authentication.k8s.io/v1');
  assert.equal(info.kind, 'ExecCredential');
  assert.equal(info.spec.interactive, false);
  assert.equal(info.spec.cluster.server, cluster.endpoint.server);
  assert.equal(Buffer.from(info.spec.cluster['certificate-authority-data'], 'base64').toString(), cluster.endpoint.caPem);
});

test('an exec plugin (v1beta1) whose credential expired is run again; a plugin that fails or prints the wrong kind is an error naming it', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const { kc, runs } = execKubeconfig(cluster.endpoint, `#!/bin/sh
echo run >> "$PLUGIN_STATE/runs"
printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2020-01-01T00:00:00Z"}}' "$(cat "$PLUGIN_STATE/admin-token")"
`, 'client.authentication.k8s.io/v1beta1');
  await kubeJson(kc, '/api/v1/namespaces?limit=1');
  await kubeJson(kc, '/api/v1/namespaces?limit=1');
  assert.equal(runs(), 2, 'an expired credential is not used again');

  const failing = execKubeconfig(cluster.endpoint, '#!/bin/sh\necho "no session: run sso login" >&2\nexit 1\n', 'client.authentication.k8s.io/v1');
  await assert.rejects(kubeJson(failing.kc, '/version'), { message: /^the exec plugin \/\S+\/plugin\.sh of user "plugin-user" failed: no session: run sso login$/ });
  const wrongKind = execKubeconfig(cluster.endpoint, '#!/bin/sh\necho \'{"apiVersion":"v1","kind":"Status"}\'\n', 'client.authentication.k8s.io/v1');
  await assert.rejects(kubeJson(wrongKind.kc, '/version'), /printed v1 Status, not the client.authentication.k8s.io\/v1 ExecCredential it was asked for/);
});

test('in a pod: the service account token file is read again when the server refuses the token it held (it rotated)', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const root = dir();
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'ca.crt'), cluster.endpoint.caPem);
  writeFileSync(join(root, 'namespace'), 'kspec-system\n');
  writeFileSync(join(root, 'token'), 'expired-token');
  const server = new URL(cluster.endpoint.server);
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = server.hostname;
  process.env.KUBERNETES_SERVICE_PORT = server.port;
  t.after(() => {
    for (const [name, value] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const kc = new KspecKubeConfig();
  kc.loadFromCluster(root);
  assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'kspec-system');
  assert.equal(kc.getCurrentCluster()?.server, cluster.endpoint.server);

  await assert.rejects(kubeJson(kc, '/api/v1/namespaces?limit=1'), (err: unknown) => err instanceof ClusterError && err.code === 401);
  // The kubelet writes the new token; kspec's next request is refused once, reads it, and goes through.
  writeFileSync(join(root, 'token'), `${cluster.endpoint.token}\n`);
  const list = await kubeJson<{ kind: string }>(kc, '/api/v1/namespaces?limit=1');
  assert.equal(list.kind, 'NamespaceList');
});

test('a cluster behind a proxy-url is reached through client-node, loaded for it alone: the request goes through the proxy (HTTP CONNECT)', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const proxy = createServer();
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    proxy.close(() => resolve());
  }));
  const kc = new KspecKubeConfig();
  kc.loadFromString(`
clusters: [{name: test, cluster: {server: "${cluster.endpoint.server}", certificate-authority-data: ${Buffer.from(cluster.endpoint.caPem).toString('base64')}, proxy-url: "http://127.0.0.1:${(proxy.address() as AddressInfo).port}"}}]
users: [{name: admin, user: {token: "${cluster.endpoint.token}"}}]
contexts: [{name: test, context: {cluster: test, user: admin}}]
current-context: test
`);
  const list = await kubeJson<{ kind: string }>(kc, '/api/v1/namespaces?limit=1');
  assert.equal(list.kind, 'NamespaceList');
  assert.deepEqual(tunnels, [new URL(cluster.endpoint.server).host], 'one tunnel to the API server, through the proxy');
});
