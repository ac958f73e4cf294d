// `kspec run` keeps the resources its engine reads in watched lists: listed once, then kept
// current by a watch, trimmed. Against the real API server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testCluster } from '../support/cluster.ts';
import { kubeRequest } from '../../scripts/lib/kube-http.ts';
import { WatchedList } from '../../src/cluster/watched-list.ts';
import { TargetCaches } from '../../src/cluster/target-caches.ts';
import { Discovery } from '../../src/cluster/discovery.ts';
import { createLogger } from '../../src/log.ts';
import type { KubeItem } from '../../src/cluster/resource-lister.ts';

const log = createLogger({ level: 'error' });

/** Reads until `done` holds (the watch delivers asynchronously); the last read either way. */
async function readUntil(list: WatchedList, done: (items: KubeItem[]) => boolean): Promise<KubeItem[]> {
  let items = await list.items();
  for (let i = 0; i < 300 && !done(items); i++) {
    await new Promise((r) => setTimeout(r, 200));
    items = await list.items();
  }
  return items;
}

test('a watched list is listed once, then follows creates, updates and deletes through its watch, trimmed', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const ns = await cluster.namespace('watched');
  const configMap = (name: string, data: Record<string, string>) => kubeRequest(cluster.endpoint, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data } });
  await configMap('a', { v: '1' });
  await configMap('c', { v: '1' });
  const [type] = (await Discovery.for(cluster.kc).resolve('ConfigMap')).types;
  const list = new WatchedList({ kc: cluster.kc, type, log });
  t.after(() => list.stop());
  const ours = (items: KubeItem[]) => new Map(items.filter((i) => i.metadata?.namespace === ns).map((i) => [i.metadata!.name as string, i]));

  const first = ours(await list.items());
  assert.deepEqual([...first.keys()].sort(), ['a', 'c']);
  assert.equal(first.get('a')!.kind, 'ConfigMap');
  assert.ok(!('managedFields' in first.get('a')!.metadata!), 'trimmed');

  await configMap('b', { v: '1' });
  await kubeRequest(cluster.endpoint, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/a`, { body: { data: { v: '2' } }, contentType: 'application/merge-patch+json' });
  await kubeRequest(cluster.endpoint, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/c`);
  const after = ours(await readUntil(list, (items) => {
    const m = ours(items);
    return m.has('b') && !m.has('c') && (m.get('a')?.data as Record<string, string> | undefined)?.v === '2';
  }));
  assert.deepEqual([...after.keys()].sort(), ['a', 'b']);
  assert.deepEqual(after.get('a')!.data, { v: '2' });
  assert.ok(!('managedFields' in after.get('b')!.metadata!), 'objects from the watch are trimmed too');
  assert.deepEqual(list.sent, { lists: 1, watches: 1 }, 'every read after the first came from the watch');
});

test('target caches keep one watched list per target and type across passes, and stop what a pass did not read', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const caches = new TargetCaches(log);
  t.after(() => caches.stop());
  const [configMaps] = (await Discovery.for(cluster.kc).resolve('ConfigMap')).types;
  const [secrets] = (await Discovery.for(cluster.kc).resolve('Secret')).types;
  const pass1 = caches.of('ns/local', cluster.kc);
  const list = pass1(configMaps);
  await list.items();
  const secretList = pass1(secrets);
  await secretList.items();
  caches.sweep();
  // The next pass reads ConfigMaps only: the same list, not listed again; Secrets go at the sweep.
  const pass2 = caches.of('ns/local', cluster.kc);
  assert.equal(pass2(configMaps), list);
  await list.items();
  assert.equal(list.sent.lists, 1);
  caches.sweep();
  assert.notEqual(caches.of('ns/local', cluster.kc)(secrets), secretList, 'the Secrets list was dropped at the sweep after the pass that did not read it');
});
