// Benchmark (not a test): 10,000 generated Pods against the pod-security restricted policies,
// written three ways: Kyverno's pattern language, validate.cel rules in ClusterPolicies, and
// ValidatingPolicies (CEL). Prints rule evaluations per second, total time and peak memory for
// each, side by side. `run()` returns the figures.
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { compilePolicy, evaluatePolicy, isValidatingPolicy } from '../src/engine/index.ts';
import type { CompiledPolicy } from '../src/engine/index.ts';
import { loadYamlDocuments } from '../src/engine/kyverno-test.ts';

export interface EngineBenchResult {
  flavour: Flavour;
  pods: number;
  policies: number;
  policySource: string;
  ruleEvaluations: number;
  totalMs: number;
  evaluationsPerSecond: number;
  peakRssBytes: number;
  maxRssBytes: number;
  results: Record<string, number>;
}

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Which way the policies are written. */
export type Flavour = 'pattern' | 'validate.cel' | 'ValidatingPolicy';

const SOURCES: Record<Flavour, { shared: string; fallback: string }> = {
  pattern: { shared: '../shared/kyverno-conformance/pod-security/restricted', fallback: 'bench/fixtures/restricted-policies.yaml' },
  'validate.cel': { shared: '../shared/kyverno-conformance-cel/pod-security-cel/restricted', fallback: '' },
  ValidatingPolicy: { shared: '../shared/kyverno-conformance-cel/pod-security-vpol/restricted', fallback: 'bench/fixtures/restricted-cel-policies.yaml' },
};

async function loadPolicies(flavour: Flavour): Promise<{ policies: CompiledPolicy[]; source: string }> {
  const shared = resolve(repoRoot, SOURCES[flavour].shared);
  const files: string[] = [];
  if (existsSync(shared)) {
    for (const d of (await readdir(shared, { withFileTypes: true })).filter((e) => e.isDirectory())) {
      for (const f of await readdir(join(shared, d.name))) if (f.endsWith('.yaml')) files.push(join(shared, d.name, f));
    }
  }
  const source = files.length || !SOURCES[flavour].fallback ? shared : resolve(repoRoot, SOURCES[flavour].fallback);
  if (!files.length && SOURCES[flavour].fallback) files.push(source);
  const policies: CompiledPolicy[] = [];
  for (const f of files.sort()) {
    for (const doc of await loadYamlDocuments(f)) if (doc.kind === 'ClusterPolicy' || doc.kind === 'Policy' || isValidatingPolicy(doc)) policies.push(compilePolicy(doc));
  }
  return { policies, source };
}

/** Deterministic pseudo-random generator so every run sees the same Pods. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function generatePods(count: number, seed = 42): Record<string, unknown>[] {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const images = ['nginx:1.25', 'ghcr.io/acme/api:2.3.1', 'redis:7', 'busybox:1.36', 'registry.k8s.io/pause:3.9', 'postgres:16'];
  const pods: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const compliant = rand() < 0.6;
    const container = (n: number): Record<string, unknown> => {
      const sc: Record<string, unknown> = compliant || rand() < 0.5
        ? { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'], ...(rand() < 0.2 ? { add: ['NET_BIND_SERVICE'] } : {}) }, seccompProfile: { type: 'RuntimeDefault' } }
        : { privileged: rand() < 0.3, capabilities: { add: [pick(['NET_ADMIN', 'SYS_TIME', 'CHOWN'])] }, ...(rand() < 0.5 ? { runAsUser: 0 } : {}) };
      return {
        name: `c${n}`,
        image: pick(images),
        ports: [{ containerPort: 8080 + n, protocol: 'TCP' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        env: [{ name: 'MODE', value: 'production' }],
        volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
        securityContext: sc,
      };
    };
    const containers = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, n) => container(n));
    const volumes: Record<string, unknown>[] = [{ name: 'config', configMap: { name: 'app-config' } }];
    if (!compliant && rand() < 0.3) volumes.push({ name: 'host', hostPath: { path: '/var/log' } });
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: `team-${i % 20}`, labels: { app: `app-${i % 50}`, 'app.kubernetes.io/name': `app-${i % 50}` } },
      spec: {
        ...(rand() < 0.3 ? { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } } : {}),
        ...(rand() < 0.2 ? { initContainers: [{ ...container(9), name: 'init' }] } : {}),
        containers,
        volumes,
      },
    });
  }
  return pods;
}

export async function run(podCount = 10_000, flavour: Flavour = 'pattern'): Promise<EngineBenchResult> {
  const { policies, source } = await loadPolicies(flavour);
  const pods = generatePods(podCount);
  let peak = process.memoryUsage().rss;
  const results: Record<string, number> = {};
  let evaluations = 0;
  const start = performance.now();
  for (let i = 0; i < pods.length; i++) {
    for (const p of policies) {
      for (const r of evaluatePolicy(p, pods[i])) {
        evaluations++;
        results[r.result] = (results[r.result] ?? 0) + 1;
      }
    }
    if ((i & 511) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const totalMs = performance.now() - start;
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    flavour,
    pods: pods.length,
    policies: policies.length,
    policySource: source,
    ruleEvaluations: evaluations,
    totalMs,
    evaluationsPerSecond: evaluations / (totalMs / 1000),
    peakRssBytes: peak,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    results,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const mb = (b: number): string => (b / 1024 / 1024).toFixed(1) + ' MiB';
  for (const flavour of ['pattern', 'validate.cel', 'ValidatingPolicy'] as const) {
    const r = await run(10_000, flavour);
    if (r.policies === 0) {
      console.log(`engine bench (${flavour}): no policies at ${r.policySource}, skipped`);
      continue;
    }
    console.log(`engine bench (${flavour}): ${r.pods} pods x ${r.policies} policies (${r.policySource})`);
    console.log(`  rule evaluations: ${r.ruleEvaluations} (${Object.entries(r.results).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    console.log(`  total time:       ${r.totalMs.toFixed(0)} ms`);
    console.log(`  evaluations/sec:  ${Math.round(r.evaluationsPerSecond)}`);
    console.log(`  peak RSS:         ${mb(r.peakRssBytes)} (maxRSS ${mb(r.maxRssBytes)})`);
  }
}
