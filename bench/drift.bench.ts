// Render and diff at fleet scale: a spec repository with 2,000 checks compared with a cluster
// where every tenth policy was edited out of band, once against the server forms (the usual
// path) and once against the normalizer table alone. Prints policies per second and peak memory.
import { performance } from 'node:perf_hooks';
import { loadSpecs } from '../src/spec/load.ts';
import { renderSpec } from '../src/render/render.ts';
import { detectDrift } from '../src/drift/detect.ts';
import type { KyvernoPolicy } from '../src/render/desired-policy.ts';
import { policyKey } from '../src/render/desired-policy.ts';
import { privilegedSpecText } from './fixtures/privileged-spec.ts';

const CHECKS = 2000;
const text = privilegedSpecText({ name: 'bench', target: 'local', checks: CHECKS, policyName: (i) => `bench-policy-${i}`, ruleName: (i) => `rule-${i}` });

const t0 = performance.now();
const load = loadSpecs(new Map([['bench.yaml', text]]));
const t1 = performance.now();
const { policies } = renderSpec(load.specs[0], 'c0ffee');
const t2 = performance.now();
// What the API server would store (Kyverno 1.13's CRD defaults), and hand back: that, server
// metadata, and an out-of-band edit in every tenth policy (alternately a weaker failure action
// and an added exclude).
const stored = new Map(policies.map(({ object }) => [policyKey(object), withDefaults(object.spec)]));
const live: KyvernoPolicy[] = policies.map(({ object }, i) => {
  const copy = structuredClone(object);
  copy.metadata = { ...copy.metadata, uid: `uid-${i}`, resourceVersion: String(i), generation: 1 };
  copy.spec = withDefaults(copy.spec);
  if (i % 20 === 0) copy.spec.validationFailureAction = 'Audit';
  if (i % 20 === 10) (copy.spec.rules as Record<string, unknown>[])[0].exclude = { any: [{ resources: { namespaces: ['kube-system'] } }] };
  return copy;
});
// CPU time besides wall time: on a shared machine the wall clock mostly measures the others.
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return ((used.user + used.system) / 1000).toFixed(0);
};
const t3 = performance.now();
const c3 = process.cpuUsage();
const result = detectDrift(policies, live, new Date().toISOString(), stored);
const cpuStored = cpuMs(c3);
const t4 = performance.now();
const c4 = process.cpuUsage();
const tableOnly = detectDrift(policies, live, new Date().toISOString());
const cpuTable = cpuMs(c4);
const t5 = performance.now();

function withDefaults(spec: Record<string, unknown>): Record<string, unknown> {
  const rules = (spec.rules as Record<string, Record<string, unknown>>[]).map((rule) => ({ ...rule, skipBackgroundRequests: true, validate: { allowExistingViolations: true, ...rule.validate } }));
  return { admission: true, background: true, emitWarning: false, ...structuredClone(spec), rules };
}

const perSecond = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString('en');
console.log(`checks                     ${CHECKS}`);
console.log(`load + validate            ${(t1 - t0).toFixed(0)} ms`);
console.log(`render                     ${(t2 - t1).toFixed(0)} ms (${perSecond(CHECKS, t2 - t1)} policies/s)`);
console.log(`diff (incl. unified diffs) ${(t4 - t3).toFixed(0)} ms, ${cpuStored} ms CPU (${perSecond(CHECKS, t4 - t3)} policies/s), ${result.drifts.length} modified, ${result.inSync.length} in sync (server forms known)`);
console.log(`diff, normalizer table only ${(t5 - t4).toFixed(0)} ms, ${cpuTable} ms CPU (${perSecond(CHECKS, t5 - t4)} policies/s), ${tableOnly.drifts.length} modified (as when the dry run is refused)`);
console.log(`peak RSS                   ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
