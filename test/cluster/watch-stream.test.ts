// kspec's watch stream (src/cluster/watch-stream.ts) against the real API server: events in
// order, a label selector, resuming from a resourceVersion, an expired resourceVersion (410),
// a refused watch, and stop().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testCluster } from '../support/cluster.ts';
import { kubeRequest } from '../../scripts/lib/kube-http.ts';
import { openWatch, type WatchEvent } from '../../src/cluster/watch-stream.ts';
import { kubeJson } from '../../src/cluster/http-get.ts';
import { ClusterError } from '../../src/cluster/api-error.ts';
import { WatchedList } from '../../src/cluster/watched-list.ts';
import { Discovery } from '../../src/cluster/discovery.ts';
import { createLogger } from '../../src/log.ts';
import { KspecKubeConfig } from '../../src/cluster/kube-config.ts';

type ConfigMap = { metadata: { name: string; resourceVersion: string; labels?: Record<string, string> }; data?: Record<string, string>; code?: number };

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
}

test('a watch delivers ADDED, MODIFIED and DELETED in order, only for its label selector, and resumes from a resourceVersion', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('stream');
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  const create = (name: string, labels: Record<string, string>) => kubeRequest(cluster.endpoint, 'POST', path, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { v: '1' } } });
  const listed = await kubeJson<{ metadata: { resourceVersion: string } }>(cluster.kc, path);

  const events: WatchEvent<ConfigMap>[] = [];
  const stream = await openWatch<ConfigMap>(cluster.kc, path, { params: { resourceVersion: listed.metadata.resourceVersion, labelSelector: 'team=a' }, onEvent: (e) => events.push(e) });
  t.after(() => stream.stop());
  await create('ours', { team: 'a' });
  await create('theirs', { team: 'b' });
  await kubeRequest(cluster.endpoint, 'PATCH', `${path}/ours`, { body: { data: { v: '2' } }, contentType: 'application/merge-patch+json' });
  await kubeRequest(cluster.endpoint, 'DELETE', `${path}/ours`);
  await until(() => events.length >= 3);
  assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'ours'], ['MODIFIED', 'ours'], ['DELETED', 'ours']]);
  assert.equal(events[1].object.data?.v, '2');
  stream.stop();
  assert.equal(await stream.ended, undefined, 'a stopped watch ends without an error');

  // Resumed from the last resourceVersion seen: only what happened after it.
  const last = events.at(-1)!.object.metadata.resourceVersion;
  await create('later', { team: 'a' });
  const resumed: WatchEvent<ConfigMap>[] = [];
  const again = await openWatch<ConfigMap>(cluster.kc, path, { params: { resourceVersion: last, labelSelector: 'team=a' }, onEvent: (e) => resumed.push(e) });
  t.after(() => again.stop());
  await until(() => resumed.length >= 1);
  assert.deepEqual(resumed.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'later']]);
});

test('a watch from an expired resourceVersion gets a 410 ERROR event and ends; a watch the server refuses rejects with its status', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('stream');
  const events: WatchEvent<ConfigMap>[] = [];
  // A custom resource's watch cache starts when its CRD is installed, so resourceVersion 1 is
  // older than anything it holds (a built-in kind's cache may reach back to an empty etcd).
  const stream = await openWatch<ConfigMap>(cluster.kc, `/apis/kspec.io/v1alpha1/namespaces/${ns}/clustertargets`, { params: { resourceVersion: '1' }, onEvent: (e) => events.push(e) });
  assert.equal(await stream.ended, undefined, 'the server closes the watch after the error');
  assert.deepEqual(events.map((e) => [e.type, e.object.code]), [['ERROR', 410]]);

  const refused = openWatch(cluster.kc, '/apis/nothing.example.com/v1/things', { onEvent: () => {} });
  await assert.rejects(refused, (err: unknown) => err instanceof ClusterError && err.code === 404);
});

test('a watched list whose resourceVersion expired lists its type again at the next read', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const [type] = (await Discovery.for(cluster.kc).resolve('ClusterTarget')).types;
  const list = new WatchedList({ kc: cluster.kc, type, log: createLogger({ level: 'error' }) });
  t.after(() => list.stop());
  await list.items();
  assert.deepEqual(list.sent, { lists: 1, watches: 1 });
  // As if the watch had been down for long: its resourceVersion is compacted away. The watch is
  // dropped; the list resumes it from that version and gets 410 Gone.
  const internals = list as unknown as { resourceVersion: string; stream: { stop(): void } };
  internals.resourceVersion = '1';
  internals.stream.stop();
  await until(() => list.sent.watches === 2);
  for (let i = 0; i < 100 && list.sent.lists < 2; i++) {
    await list.items();
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(list.sent, { lists: 2, watches: 3 }, 'listed again after the 410, and watched from the new list');
  await list.items();
  assert.deepEqual(list.sent, { lists: 2, watches: 3 }, 'the read after that comes from the watch');
});

test('a watch asks the server to end it within 5 minutes unless told otherwise, so that a quiet watch ends cleanly', async (t) => {
  // A stand-in server: the query string is what matters here, not the answer.
  const asked: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    asked.push(new URL(req.url!, 'http://x').searchParams);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const kc = new KspecKubeConfig();
  kc.loadFromString(`
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${(server.address() as AddressInfo).port}"}}]
users: [{name: u, user: {}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`);
  for (const params of [{}, { timeoutSeconds: undefined, labelSelector: 'a=b' }, { timeoutSeconds: 7 }]) {
    const stream = await openWatch(kc, '/api/v1/configmaps', { params, onEvent: () => {} });
    assert.equal(await stream.ended, undefined, 'the server ended the watch: a clean end');
  }
  assert.deepEqual(asked.map((q) => q.get('timeoutSeconds')), ['300', '300', '7']);
  assert.ok(asked.every((q) => q.get('watch') === '1'));
});
