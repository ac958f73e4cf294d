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

/**
 * Relays TCP to the API server; `cut()` drops every open connection, as a network blip would, and
 * `cutMidEvent()` lets through only the first half of the next bytes the server sends (an event
 * on the watch stream) and then drops that connection. Resolves with the bytes let through and held back.
 */
async function startRelay(target: URL): Promise<{ port: number; cut(): void; cutMidEvent(): Promise<{ passed: number; held: number }>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let armed: ((cut: { passed: number; held: number }) => void) | undefined;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!armed) return void client.write(chunk);
      const done = armed;
      armed = undefined;
      const half = Math.floor(chunk.length / 2);
      client.write(chunk.subarray(0, half), () => {
        client.destroy();
        upstream.destroy();
        done({ passed: half, held: chunk.length - half });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => { for (const s of sockets) s.destroy(); },
    cutMidEvent: () => new Promise((resolve) => (armed = resolve)),
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

test('a watch the server ends on time goes on from its last version: no resync, and the changes that follow are seen', { timeout: 240_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const spec = uniqueName('timed');
  const changes: PolicyChange[] = [];
  const resyncs: string[] = [];
  let resumes = 0;
  const watch = new PolicyWatch({
    kc: cluster.kc, labelSelector: `app.kubernetes.io/managed-by=kspec,kspec.io/spec=${spec}`,
    onChange: (c) => changes.push(c), onResync: (why) => resyncs.push(why),
    // The server ends every watch after a second; an idle kspec run sees this every five minutes.
    serverTimeoutSeconds: 1,
    log: createLogger({ level: 'debug', sink: (line) => void (line.includes('policy watch resumed') && resumes++) }),
    retryMs: 200,
  });
  watch.start();
  t.after(() => watch.stop());
  await watch.watching;
  await waitFor('the server to end the watch three times', 90_000, async () => resumes + resyncs.length >= 3);
  const admin = KubernetesObjectApi.makeApiClient(cluster.kc);
  await admin.create({
    apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy',
    metadata: { name: `${spec}-a`, labels: { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': spec } },
    spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message: 'm', pattern: { metadata: { name: '?*' } } } }] },
  } as KubernetesObject);
  await waitFor('the resumed watch to see the new policy', 90_000, async () => changes.some((c) => c.name === `${spec}-a` && c.type === 'ADDED'));
  assert.deepEqual(resyncs, [], 'a watch ended on time is resumed without a resync (which would start a full pass)');
  t.diagnostic(`watches resumed: ${resumes}`);
  await admin.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `${spec}-a` } });
});

/** Waits for a condition, however long it takes (the test's own timeout is the bound). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 50));
}

test('a watch stream cut in the middle of an event resyncs, and the change it carried is not lost', { timeout: 120_000 }, async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const relay = await startRelay(new URL(cluster.kc.getCurrentCluster()!.server));
  t.after(() => relay.close());
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  kc.clusters = kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${relay.port}` }));
  const spec = uniqueName('midevent');
  const changes: PolicyChange[] = [];
  const resyncs: string[] = [];
  const watch = new PolicyWatch({ kc, labelSelector: `app.kubernetes.io/managed-by=kspec,kspec.io/spec=${spec}`, onChange: (c) => changes.push(c), onResync: (why) => resyncs.push(why), log: createLogger({ level: 'error' }), retryMs: 200 });
  watch.start();
  t.after(() => watch.stop());
  await watch.watching;
  const admin = KubernetesObjectApi.makeApiClient(cluster.kc);
  const policy = {
    apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy',
    metadata: { name: `${spec}-a`, labels: { 'app.kubernetes.io/managed-by': 'kspec', 'kspec.io/spec': spec } },
    spec: { rules: [{ name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] }, validate: { message: 'm', pattern: { metadata: { name: '?*' } } } }] },
  } as KubernetesObject;

  // The only traffic on the relay now is the idle watch: the next bytes are this creation's event.
  const cut = relay.cutMidEvent();
  await admin.create(policy);
  const { passed, held } = await cut;
  assert.ok(passed > 0 && held > 0, 'the event was cut in two');
  // The half event is dropped; the watch says it resynced, and its owner (kspec run) then passes
  // over everything, so the change is handled although its event never arrived whole.
  await until(() => resyncs.length > 0);
  assert.ok(!changes.some((c) => c.name === `${spec}-a` && c.type !== 'ADDED'), 'no garbled event was reported');
  await admin.delete({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: `${spec}-a` } });
  await until(() => changes.some((c) => c.name === `${spec}-a` && c.type === 'DELETED'));
  t.diagnostic(`cut after ${passed} of ${passed + held} bytes; resyncs: ${resyncs.join('; ')}`);
});
