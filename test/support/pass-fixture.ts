// A reconcile pass wired to real parts for the end-to-end tests: a Git smart-HTTP server with
// token auth holding a fresh repository (an in-cluster ClusterTarget plus the test's files), the
// shared kube-apiserver, a fresh namespace, and metrics and debug logs the test can read.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { testCluster } from './cluster.ts';
import type { TestCluster } from './cluster.ts';
import { startGitServer } from './git-server.ts';
import type { GitServer } from './git-server.ts';
import { inClusterTarget } from './operator.ts';
import { reconcilePass } from '../../src/reconcile/pass.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';
import type { TargetOwnership } from '../../src/shard/target-ownership.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { createLogger } from '../../src/log.ts';
import { KspecStore } from '../../src/cluster/kspec-store.ts';

export interface PassFixture {
  cluster: TestCluster;
  git: GitServer;
  ns: string;
  id: string;
  repo: string;
  pass(opts?: { dryRun?: boolean; token?: string; signal?: AbortSignal; now?: () => Date; reportRefreshMs?: number; repoUrl?: string; idleTimeoutMs?: number; ownership?: TargetOwnership }): Promise<PassResult>;
  objects: KubernetesObjectApi;
  store: KspecStore;
  metrics: ReturnType<typeof createMetrics>;
  /** Every log line of every pass, as written (JSON). */
  logs: string[];
}

export async function passFixture(t: { skip(m?: string): void; after(fn: () => Promise<void>): void }, files: (ns: string, id: string) => Record<string, string>): Promise<PassFixture | undefined> {
  const cluster = await testCluster(t);
  if (!cluster) return undefined;
  const ns = await cluster.namespace('e2e');
  const id = ns.slice(-8);
  const git = await startGitServer({ root: mkdtempSync(join(tmpdir(), 'kspec-git-')) });
  t.after(() => git.stop());
  const repo = `specs-${id}`;
  await git.createRepo(repo, { 'targets/local.yaml': inClusterTarget(ns), ...files(ns, id) });
  const cacheDir = mkdtempSync(join(tmpdir(), 'kspec-cache-'));
  const metrics = createMetrics({ defaultMetrics: false });
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  return {
    cluster, git, ns, id, repo, metrics, logs,
    objects: KubernetesObjectApi.makeApiClient(cluster.kc),
    store: new KspecStore(cluster.kc),
    pass: (opts = {}) =>
      reconcilePass({
        source: { repo: opts.repoUrl ?? git.repoUrl(repo), ref: 'main', cacheDir, token: opts.token ?? git.token, username: git.username, ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}) },
        namespace: ns,
        management: cluster.kc,
        dryRun: opts.dryRun ?? false,
        log,
        metrics,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.reportRefreshMs !== undefined ? { reportRefreshMs: opts.reportRefreshMs } : {}),
        ...(opts.now ? { now: opts.now } : {}),
        ...(opts.ownership ? { ownership: opts.ownership } : {}),
      }),
  };
}
