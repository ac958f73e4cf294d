// The cost of one target's reconcile pass, for the capacity model in docs/operations.md
// ("Sharding across replicas"): CPU seconds, API requests and memory of a steady-state pass
// (every policy in sync: what a 5-minute poll mostly does) at 10, 100 and 1,000 policies, plus
// the first pass that creates them and the render cost every replica pays for every spec.
//
//   npm run bench -- target-pass                          # a local control plane (started here)
//   KSPEC_BENCH_KUBECONFIG=~/.kube/config npm run bench -- target-pass   # your cluster
//
// On your own cluster it creates ClusterPolicies bench-<n>-<i> (matching nothing: namespace
// kspec-bench only) and kspec's resources in namespace kspec-bench, and removes them at the end.
// Requests are counted by the API server (apiserver_request_total): reading /metrics needs the
// right to get the non-resource URL /metrics, else they show as n/a.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { reconcilePass } from '../src/reconcile/pass.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { renderSpec } from '../src/render/render.ts';
import { nullLogger } from '../src/log.ts';
import { REPO_ROOT, up } from '../scripts/lib/control-plane.ts';
import { endpointFromKubeconfig, kubeRequest } from '../scripts/lib/kube-http.ts';
import { privilegedSpecText } from './fixtures/privileged-spec.ts';

const SIZES = [10, 100, 1000];
const NAMESPACE = process.env.KSPEC_BENCH_NAMESPACE ?? 'kspec-bench';

interface Measured {
  policies: number;
  /** CPU of parsing and validating the spec file, and of rendering its checks (warm). */
  load: { parseMs: number; renderMs: number };
  first: PassCost;
  steady: PassCost;
  /** Peak resident memory of the measuring process, after the passes. */
  maxRssMb: number;
  /** Heap still in use after the steady pass (after GC), above the heap before the first pass. */
  heapMb: number;
}
interface PassCost {
  wallMs: number;
  cpuMs: number;
  requests: number | undefined;
  errors: number;
  /** Highest heap in use during the pass (sampled every 5 ms), above the heap before it. */
  peakHeapMb: number;
}

function specText(n: number): string {
  return privilegedSpecText({ name: `bench-${n}`, namespace: NAMESPACE, target: `bench-${n}`, checks: n, policyName: (i) => `bench-${n}-${i}`, ruleName: (i) => `privileged-${i}`, matchNamespace: NAMESPACE });
}

const targetText = (n: number, version: string) => `apiVersion: kspec.io/v1alpha1\nkind: ClusterTarget\nmetadata:\n  name: bench-${n}\n  namespace: ${NAMESPACE}\nspec:\n  inCluster: true\n  version: "${version}"\n`;

/** Sum of apiserver_request_total, or undefined when /metrics cannot be read (no token, no right). */
async function apiRequests(kubeconfig: string): Promise<number | undefined> {
  try {
    const res = await kubeRequest(await endpointFromKubeconfig(kubeconfig), 'GET', '/metrics', { allow: [401, 403] });
    if (res.status !== 200) return undefined;
    let sum = 0;
    for (const line of res.body.split('\n')) if (line.startsWith('apiserver_request_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    return sum;
  } catch {
    return undefined;
  }
}

/** One size, in this process: render, the first pass, a steady pass, then clean up. */
async function measure(n: number, kubeconfig: string): Promise<Measured> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  // The same folder every run: the spec's identity includes it, so a rerun after a crash adopts,
  // rather than refuses, the policies the crashed run left behind.
  const dir = path.join(tmpdir(), `kspec-bench-repo-${n}`);
  mkdirSync(path.join(dir, 'specs'), { recursive: true });
  writeFileSync(path.join(dir, 'specs/spec.yaml'), specText(n));
  const version = (await kc.makeApiClient(VersionApi).getCode()).gitVersion.replace(/^v/, '').replace(/[-+].*$/, '');
  writeFileSync(path.join(dir, 'specs/target.yaml'), targetText(n, version));
  const options = { source: { repo: dir, cacheDir: mkdtempSync(path.join(tmpdir(), 'kspec-bench-cache-')) }, namespace: NAMESPACE, management: kc, dryRun: false, log: nullLogger };

  // Parsing and rendering a spec, twice: the second time is what a warm process pays.
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  let parse = 0;
  let render = 0;
  for (let i = 0; i < 2; i++) {
    const c0 = process.cpuUsage();
    const loaded = loadSpecs(new Map([['spec.yaml', specText(n)]]), { namespace: NAMESPACE });
    const c1 = process.cpuUsage();
    renderSpec(loaded.specs[0]!, 'c0ffee');
    parse = cpuMs(process.cpuUsage(c0)) - cpuMs(process.cpuUsage(c1));
    render = cpuMs(process.cpuUsage(c1));
  }

  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const pass = async (): Promise<PassCost> => {
    const r0 = await apiRequests(kubeconfig);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 5);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await reconcilePass(options);
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    clearInterval(sampler);
    // A failed pass is reported, not hidden: its cost is printed with the number of errors.
    const errors = result.load.errors.length + result.specs.reduce((n, x) => n + x.errors.length, 0);
    if (errors > 0) process.stderr.write(`pass with ${errors} errors, e.g. ${JSON.stringify(result.specs.flatMap((x) => x.errors).slice(0, 2))}\n`);
    const r1 = await apiRequests(kubeconfig);
    // The reads of /metrics themselves are counted once (the first one, between r0 and r1).
    return { wallMs, cpuMs: (c.user + c.system) / 1000, requests: r0 !== undefined && r1 !== undefined ? r1 - r0 - 1 : undefined, errors, peakHeapMb: (heapPeak - heapBefore) / 1024 / 1024 };
  };
  try {
    const first = await pass();
    const steady = await pass();
    global.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    return { policies: n, load: { parseMs: parse, renderMs: render }, first, steady, maxRssMb, heapMb };
  } finally {
    // Remove the spec: a clean commit without it retires it, which prunes its policies.
    rmSync(path.join(dir, 'specs/spec.yaml'));
    await reconcilePass(options);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [flag, size, kubeconfig] = process.argv.slice(2);
  if (flag === '--measure') {
    process.stdout.write(JSON.stringify(await measure(Number(size), kubeconfig!)) + '\n');
    return;
  }
  let kubeconfigPath = process.env.KSPEC_BENCH_KUBECONFIG;
  let stop: (() => Promise<void>) | undefined;
  if (!kubeconfigPath) {
    const dir = path.join(REPO_ROOT, '.kspec', 'bench-cluster', `run-${process.pid}`);
    const started = await up({ dir, detached: false });
    kubeconfigPath = started.kubeconfigPath;
    stop = async () => {
      await started.running?.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  try {
    const results: Measured[] = [];
    for (const n of SIZES) {
      // Each size in its own process, so its peak memory is its own.
      const child = spawnSync(process.execPath, ['--expose-gc', import.meta.filename, '--measure', String(n), kubeconfigPath], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      if (child.status !== 0) throw new Error(`measuring ${n} policies failed:\n${child.stderr}`);
      results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Measured);
    }
    report(results);
  } finally {
    await stop?.();
  }
}

function report(results: Measured[]): void {
  const f = (x: number | undefined, d = 0) => (x === undefined ? 'n/a' : x.toFixed(d));
  console.log('one target, one spec; the steady pass finds every policy in sync (a poll with no drift)\n');
  console.log('policies | parse, render CPU ms | first pass: wall ms, CPU ms, requests | steady pass: wall ms, CPU ms, requests, peak heap MB | retained heap MB | peak RSS MB');
  for (const r of results) {
    console.log(`${String(r.policies).padStart(8)} | ${`${f(r.load.parseMs)}, ${f(r.load.renderMs)}`.padStart(20)} | ${f(r.first.wallMs).padStart(8)}, ${f(r.first.cpuMs)}, ${f(r.first.requests)}${r.first.errors ? ` (${r.first.errors} errors)` : ''} | ${f(r.steady.wallMs).padStart(8)}, ${f(r.steady.cpuMs)}, ${f(r.steady.requests)}, ${f(r.steady.peakHeapMb, 1)}${r.steady.errors ? ` (${r.steady.errors} errors)` : ''} | ${f(r.heapMb, 1)} | ${f(r.maxRssMb)}`);
  }
  // The model: 500 targets with 1,000 policies each, polled every 5 minutes. Every replica
  // fetches and parses every spec file each pass (it needs them to know the fleet), and renders
  // and reconciles the specs of the targets it owns, all of them at once. A replica has the
  // base's 1 CPU and 768 MB heap, and is kept at half its CPU, leaving room for drift, retries
  // and the targets of a replica that fails.
  const big = results.find((r) => r.policies === 1000)!;
  const targets = 500;
  const periodS = 300;
  const cpuBudgetS = periodS * 0.5;
  const parseAllS = (targets * big.load.parseMs) / 1000;
  const perTargetS = big.steady.cpuMs / 1000;
  const byCpu = Math.max(0, Math.floor((cpuBudgetS - parseAllS) / perTargetS));
  const heapBudgetMb = 768 - 150; // --max-old-space-size=768 in the base, less the process's own
  const byMemory = Math.floor(heapBudgetMb / Math.max(big.steady.peakHeapMb, 0.1));
  const perReplica = Math.min(byCpu, byMemory);
  console.log(`\ncapacity model: ${targets} targets × 1,000 policies, a pass every ${periodS / 60} min, 1 CPU at 50% and a 768 MB heap per replica`);
  console.log(`  parsing every spec file, per replica per pass: ${parseAllS.toFixed(1)} CPU s of a ${cpuBudgetS} s budget`);
  console.log(`  steady pass per owned target: ${perTargetS.toFixed(2)} CPU s, ${f(big.steady.requests)} requests, ${big.steady.peakHeapMb.toFixed(1)} MB peak heap`);
  console.log(`  targets per replica: ${byCpu} by CPU, ${byMemory} by memory`);
  console.log(perReplica > 0 ? `  replicas for ${targets} targets: ${Math.ceil(targets / perReplica)}` : '  a replica cannot parse the whole fleet within its budget: split the repository (one Deployment per path)');
  if (big.steady.requests !== undefined) console.log(`  API requests: ${((targets * big.steady.requests) / periodS).toFixed(1)}/s over the fleet's API servers, plus 2 per replica per retry period (Lease LIST and heartbeat)`);
}

await main();
