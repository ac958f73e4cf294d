// kspec's pooled requests to an API server go in lanes (src/cluster/http-get.ts): a burst of
// writes fills its own sockets, and reads and requests outside the client-side limits (Lease
// renewals) still get through. Shown against the real API server, through a TLS proxy (the API
// server's own serving certificate) that holds every POST until the test lets them go: with one
// shared pool, the read and the renewal would wait behind the held writes for ever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { testCluster, type TestCluster } from '../support/cluster.ts';
import { layout } from '../../scripts/lib/control-plane.ts';
import { kubeJson } from '../../src/cluster/http-get.ts';
import { KspecKubeConfig } from '../../src/cluster/kube-config.ts';

interface HoldingProxy {
  kc: KspecKubeConfig;
  /** POSTs waiting to be let through. */
  held(): number;
  release(): void;
  stop(): Promise<void>;
}

/** A TLS proxy in front of the API server that holds POSTs until released; everything else passes. */
async function holdingProxy(cluster: TestCluster): Promise<HoldingProxy> {
  const certDir = layout(dirname(cluster.kubeconfigPath)).certDir;
  const upstream = new URL(cluster.endpoint.server);
  let waiting: (() => void)[] = [];
  let released = false;
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const out = https.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, ca: cluster.endpoint.caPem, servername: upstream.hostname },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const server = https.createServer({ cert: readFileSync(`${certDir}/apiserver.crt`), key: readFileSync(`${certDir}/apiserver.key`) }, (req, res) => {
    if (req.method === 'POST' && !released) waiting.push(() => forward(req, res));
    else forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KspecKubeConfig();
  kc.loadFromString(`
clusters: [{name: held, cluster: {server: "https://127.0.0.1:${(server.address() as AddressInfo).port}", certificate-authority-data: ${Buffer.from(cluster.endpoint.caPem).toString('base64')}}}]
users: [{name: admin, user: {token: "${cluster.endpoint.token}"}}]
contexts: [{name: held, context: {cluster: held, user: admin}}]
current-context: held
`);
  return {
    kc,
    held: () => waiting.length,
    release() {
      released = true;
      for (const go of waiting) go();
      waiting = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
}

test('reads and Lease renewals are not held up behind a burst of writes', { timeout: 120_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('lanes');
  const configMaps = `/api/v1/namespaces/${ns}/configmaps`;
  // Stands in for a Lease: renewed with a PUT outside the client-side limits, as LeaseClient does.
  const lease = await kubeJson<{ metadata: Record<string, unknown> }>(cluster.kc, configMaps, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lease' }, data: { renewed: '0' } } });
  const proxy = await holdingProxy(cluster);
  t.after(() => proxy.stop());

  // More creates than the write lane has sockets: every socket of it holds a request the proxy keeps.
  const writes = Array.from({ length: 40 }, (_, i) =>
    kubeJson(proxy.kc, configMaps, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `burst-${i}` } } }),
  );
  await until(() => proxy.held() >= 32);
  assert.equal(proxy.held(), 32, 'the write lane sends at most 32 requests at once; the rest wait for a socket');

  const listed = await kubeJson<{ items: unknown[] }>(proxy.kc, configMaps);
  assert.deepEqual(listed.items.length, 1, 'the LIST is answered while the writes are held: only the lease exists yet');
  const renewed = await kubeJson<{ data: Record<string, string> }>(proxy.kc, `${configMaps}/lease`, { method: 'PUT', limited: false, body: { ...lease, data: { renewed: '1' } } });
  assert.equal(renewed.data.renewed, '1', 'the renewal outside the limits is answered while the writes are held');

  proxy.release();
  const created = await Promise.all(writes);
  assert.equal(created.length, 40);
  const after = await kubeJson<{ items: unknown[] }>(cluster.kc, configMaps);
  assert.equal(after.items.length, 41, 'every held create went through once released');
});
