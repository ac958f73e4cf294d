// The watch behind `kspec run`, on a real API server reached through a TCP relay that the test
// can cut: a dropped watch is re-listed and resumed, reports a resync (so a change made while it
// was down is not missed), and sees the changes that follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testCluster, uniqueName } from '../support/cluster.ts';
import { waitFor } from '../support/operator.ts';
import { PolicyWatch } from '../../src/cluster/policy-watch.ts';
import type { PolicyChange } from '../../src/cluster/policy-watch.ts';
import { createLogger } from '../../src/log.ts';

/** Relays TCP to the API server; `cut()` drops every open connection, as a network blip would. */
async function startRelay(target: URL): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => { for (const s of sockets) s.destroy(); },
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

test('a dropped policy watch is re-listed and resumed; changes made in the gap come back as a resync', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const server = new URL(cluster.kc.getCurrentCluster()!.server);
  const relay = await startRelay(server);
  t.after(() => relay.close());
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  kc.clusters = kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${relay.port}` }));

  const spec = uniqueName('watched');
  const selector = `app.kubernetes.io/managed-by=kspec,kspec.io/spec=${spec}`;
  const changes: PolicyChange[] = [];
  const resyncs: string[] = [];
  const watch = new PolicyWatch({ kc, labelSelector: selector, onChange: (c) => changes.push(c), onResync: (why) => resyncs.push(why), log: createLogger({ level: 'error' }), retryMs: 200 });
  watch.start();
  t.after(() => watch.stop());

  const admin = KubernetesObjectApi.makeApiClient(cluster.kc);
  const policy = (name: string) => ({
    apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': spec } },
    spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message: 'm', pattern: { metadata: { name: '?*' } } } }] },
  }) as KubernetesObject;
  await watch.watching; // a policy created before the first WATCH would only be in its LIST
  await admin.create(policy(`${spec}-a`));
  await waitFor('the watch to see the first policy', 15_000, async () => changes.some((c) => c.name === `${spec}-a` && c.type === 'ADDED'));

  relay.cut();
  await admin.create(policy(`${spec}-b`)); // may land while the watch is down
  await waitFor('a resync after the drop', 15_000, async () => resyncs.length > 0);
  await admin.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `${spec}-a` } });
  await waitFor('the resumed watch to see the deletion', 15_000, async () => changes.some((c) => c.name === `${spec}-a` && c.type === 'DELETED'));
  t.diagnostic(`resyncs after the drop: ${resyncs.join('; ')}`);
  await admin.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `${spec}-b` } });
});
