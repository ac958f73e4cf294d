// What discovery found is kept between runs in the cache folder while it is fresh, so a
// `reconcile` soon after another reads no /apis/<group>/<version> again: the next run resolves
// kinds from the file, without asking the API server; a stale file is not used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { testCluster } from '../support/cluster.ts';
import { discoveryFile, loadDiscovery, saveDiscovery } from '../../src/cli/discovery-file.ts';
import { Discovery, DISCOVERY_TTL_MS } from '../../src/cluster/discovery.ts';
import { createLogger } from '../../src/log.ts';

/** The same API server, with a token it refuses: any request it gets fails. */
function refusedClient(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-valid-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

test('a run resolves kinds from the discovery the previous run saved, without the API server; a stale save is not used', async (t) => {
  const cluster = await testCluster(t);
  if (!cluster) return;
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-discovery-'));
  const server = cluster.kc.getCurrentCluster()!.server;
  const seen = await Discovery.for(cluster.kc).resolve('CronJob');
  assert.equal(seen.types[0]?.apiVersion, 'batch/v1beta1', 'found at a version that is not the preferred one');
  saveDiscovery(cacheDir, createLogger({ level: 'error' }));

  loadDiscovery(cacheDir);
  const offline = Discovery.for(refusedClient(server));
  assert.deepEqual(await offline.resolve('CronJob'), seen);
  assert.equal((await offline.resolve('Deployment')).types[0]?.apiVersion, 'apps/v1');

  const saved = JSON.parse(readFileSync(discoveryFile(cacheDir), 'utf8'));
  saved.servers[server].loadedAt = Date.now() - DISCOVERY_TTL_MS - 1000;
  writeFileSync(discoveryFile(cacheDir), JSON.stringify(saved));
  loadDiscovery(cacheDir);
  await assert.rejects(Discovery.for(refusedClient(server)).resolve('Deployment'), /401|Unauthorized/i, 'a stale save is not used: the API server is asked (and refuses)');
});
