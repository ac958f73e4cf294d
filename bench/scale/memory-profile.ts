// node --expose-gc bench/scale/memory-profile.ts --dir DIR [--passes 2] [--top 25] [--no-watch]
//
// Where `kspec run`'s memory goes, against a fixture of bench/scale/fixture.ts: runs passes in
// this process the way `kspec run` does (one metrics registry, one server-form cache kept across
// passes), and after each pass prints the resident set and the live heap after a full GC, with
// the V8 sampling heap profiler's view of what the live objects were allocated by (kspec's own
// frames, summed). A measuring tool: it prints, it never fails because something is big.
import { Session } from 'node:inspector/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../scripts/lib/control-plane.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, passes: { type: 'string', default: '2' }, 'no-watch': { type: 'boolean', default: false }, top: { type: 'string', default: '25' } } });
if (!values.dir) throw new Error('usage: node --expose-gc bench/scale/memory-profile.ts --dir DIR (a fixture from bench/scale/fixture.ts)');
const dir = resolve(values.dir);
process.env.KUBECONFIG = join(dir, 'cluster', 'kubeconfig');

const { KubeConfig } = await import('@kubernetes/client-node');
const { reconcilePass } = await import('../../src/reconcile/pass.ts');
const { createMetrics } = await import('../../src/server/metrics.ts');
const { createLogger } = await import('../../src/log.ts');
const { ServerFormCache } = await import('../../src/cluster/server-form.ts');
const { TargetCaches } = await import('../../src/cluster/target-caches.ts');

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => process.stderr.write('run with --expose-gc for figures after a full GC\n'));

/** Live bytes by the innermost kspec frame that allocated them (src/..., then anything). */
function byKspecFrame(root: ProfileNode): Map<string, number> {
  const sizes = new Map<string, number>();
  const walk = (node: ProfileNode, owner: string | undefined) => {
    const { url, functionName, lineNumber } = node.callFrame;
    const own = url.includes('/src/') ? `${relative(REPO_ROOT, new URL(url).pathname)}:${lineNumber + 1} ${functionName || '(anonymous)'}` : owner;
    if (node.selfSize) sizes.set(own ?? '(outside src)', (sizes.get(own ?? '(outside src)') ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, own);
  };
  walk(root, undefined);
  return sizes;
}

const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024 });

const management = new KubeConfig();
management.loadFromDefault();
const metrics = createMetrics();
const serverForms = new ServerFormCache();
const log = createLogger({ level: 'warn' });
// As `kspec run`: what the engine reads comes from watched lists kept across passes.
const caches = values['no-watch'] ? undefined : new TargetCaches(log);
for (let pass = 1; pass <= Number(values.passes); pass++) {
  const started = performance.now();
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
  const result = await reconcilePass({ source: { repo: join(dir, 'repo'), cacheDir: join(dir, 'cache') }, namespace: 'kspec-system', management, dryRun: false, log, metrics, serverForms, ...(caches ? { caches } : {}) });
  caches?.sweep();
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  gc();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  process.stdout.write(`pass ${pass}: ${seconds.toFixed(1)} s, ok ${result.ok}; peak resident ${mb(peakRss)}; after GC: resident ${mb(rss)}, heap used ${mb(heapUsed)} of ${mb(heapTotal)}, external ${mb(external)} (result still referenced)\n`);
  const { profile } = await session.post('HeapProfiler.getSamplingProfile');
  const top = [...byKspecFrame(profile.head as ProfileNode)].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  for (const [frame, bytes] of top) process.stdout.write(`  ${mb(bytes).padStart(7)}  ${frame}\n`);
}
gc();
process.stdout.write(`after the passes, results dropped: resident ${mb(process.memoryUsage.rss())}, heap used ${mb(process.memoryUsage().heapUsed)}\n`);
await session.post('HeapProfiler.stopSampling');
session.disconnect();
caches?.stop();
