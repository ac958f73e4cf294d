// Benchmark (not a test): N Pods on the local API server, listed and evaluated by the engine
// source against the example specs' rendered policies. Prints the time spent listing (paginated
// LIST, 500 a page) beside the time spent evaluating: the engine should cost less than the LIST.
// Needs a control plane: KSPEC_TEST_KUBECONFIG, or .kspec/kubeconfig from `npm run cluster:up`.
// BENCH_PODS sets N (default 2000).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { loadSpecs } from '../src/spec/load.ts';
import { renderSpec } from '../src/render/render.ts';
import { evaluateLive } from '../src/compliance/engine-source.ts';
import { ViolationTally } from '../src/compliance/violation-tally.ts';
import { Discovery } from '../src/cluster/discovery.ts';
import { TargetObservation } from '../src/cluster/target-observation.ts';
import { listAll } from '../src/cluster/resource-lister.ts';
import { kubeJson } from '../src/cluster/http-get.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const kubeconfig = process.env.KSPEC_TEST_KUBECONFIG ?? join(root, '.kspec/kubeconfig');
if (!existsSync(kubeconfig)) {
  console.log('skipped: no control plane (npm run cluster:up, or set KSPEC_TEST_KUBECONFIG)');
  process.exit(0);
}
const N = Number(process.env.BENCH_PODS ?? 2000);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const api = KubernetesObjectApi.makeApiClient(kc);

const files = new Map<string, string>();
for (const f of readdirSync(join(root, 'examples/repo/specs'))) files.set(f, readFileSync(join(root, 'examples/repo/specs', f), 'utf8'));
const desired = loadSpecs(files).specs.flatMap((s) => renderSpec(s, 'bench').policies);

const ns = `bench-compliance-${process.pid}`;
await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubernetesObject);
try {
  const t0 = performance.now();
  const pods = Array.from({ length: N }, (_, i) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `p-${i}`, namespace: ns, labels: i % 3 ? { 'app.kubernetes.io/name': 'x', team: 't' } : {} },
    spec: { containers: [{ name: 'c', image: i % 5 ? 'registry.example.com/app:1.0' : 'nginx:latest', resources: i % 2 ? { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } } : {} }] },
  }) as KubernetesObject);
  for (let i = 0; i < pods.length; i += 50) await Promise.all(pods.slice(i, i + 50).map((p) => api.create(p)));
  console.log(`created ${N} Pods in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const [podType] = (await Discovery.for(kc).resolve('Pod')).types;
  // Three rounds: the first is cold (JIT, TLS), the later ones are what a long-running kspec sees.
  for (let round = 1; round <= 3; round++) {
    const l0 = performance.now();
    const listed = await listAll(kc, podType);
    const listOnlyMs = performance.now() - l0;
    const e0 = performance.now();
    const tally = new ViolationTally();
    // A new observation each round: every round lists again, as a pass without watched lists does.
    const result = await evaluateLive({ target: new TargetObservation(kc), desired, tally });
    const totalMs = performance.now() - e0;
    const s = result.stats;
    const violations = tally.results([...new Set(desired.map((d) => d.policyId))].map((id) => ({ id, title: id, severity: 'medium' as const, checks: [] })), desired).results.reduce((n, r) => n + (r.violationTotal ?? 0), 0);
    console.log(`round ${round}: ${desired.length} policies (examples/repo), ${s.kinds} kinds listed, ${s.pages} pages`);
    console.log(`  LIST Pods alone:        ${listOnlyMs.toFixed(0)} ms for ${listed.items.length} Pods (${listed.pages} pages)`);
    console.log(`  engine pass: listing    ${s.listMs.toFixed(0)} ms waiting for pages (next page fetched while one is evaluated)`);
    console.log(`  engine pass: evaluating ${s.evaluateMs.toFixed(0)} ms for ${s.resources} resources, ${s.evaluations} policy evaluations (${Math.round(s.evaluations / (s.evaluateMs / 1000))}/s)`);
    console.log(`  engine pass: total      ${totalMs.toFixed(0)} ms; ${violations} violations (a resource failing a policy)`);
    console.log(`  evaluation / LIST-alone: ${(s.evaluateMs / listOnlyMs).toFixed(2)}`);
  }
} finally {
  // No controller-manager runs locally: deleting the namespace would leave its Pods behind.
  await kubeJson(kc, `/api/v1/namespaces/${ns}/pods`, { method: 'DELETE' }).catch(() => undefined);
  await api.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubernetesObject).catch(() => undefined);
}
