// npm run bench:scale [-- --sizes 100,1000,5000 --main 1000 --specs 10 --resources 10000 --out docs/benchmarks.md]
//
// kspec against kubectl on the same objects, on a real etcd + kube-apiserver started for each
// size. Policies are generated from real Kyverno policies (bench/scale/generate.ts); kubectl gets
// exactly the objects `kspec render --output-dir DIR` writes. API requests are counted from the API
// server's audit log. The benchmark measures and prints; it never fails because something is slow.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { bootstrapCluster, REPO_ROOT, startControlPlaneProcesses } from '../../scripts/lib/control-plane.ts';
import { sleep, type KubeEndpoint } from '../../scripts/lib/kube-http.ts';
import { AuditLog, auditArgs, isKubectl, writeAuditPolicy, type RequestCount } from './audit-log.ts';
import { generateRepo, readSourcePolicies } from './generate.ts';
import { deleteOwned, makeDrift } from './drift.ts';
import { createWorkload } from './resources.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,5000' },
    main: { type: 'string', default: '1000' },
    specs: { type: 'string', default: '10' },
    resources: { type: 'string', default: '10000' },
    'run-passes': { type: 'string', default: '3' },
    out: { type: 'string', default: join(REPO_ROOT, 'docs', 'benchmarks.md') },
    keep: { type: 'boolean', default: false },
    'kubectl-diff-max': { type: 'string', default: '1000' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const mainSize = Number(values.main);
const specCount = Number(values.specs);
const resourceCount = Number(values.resources);
const runPasses = Number(values['run-passes']);
// kubectl diff sends three requests per object, one after the other: above this size it is not run.
const kubectlDiffMax = Number(values['kubectl-diff-max']);
// kubectl has no client-side rate limit on apply (each object gets a fresh client), so kspec is
// also timed with its limits lifted; its defaults (50 requests/s, burst 100) are a controller's.
const UNLIMITED = ['--kube-api-qps', '10000', '--kube-api-burst', '10000'];
// KSPEC_BENCH_BIN measures another checkout's kspec (a baseline) with this benchmark.
const KSPEC = process.env.KSPEC_BENCH_BIN ?? join(REPO_ROOT, 'bin', 'kspec.js');
const log = (msg: string) => process.stderr.write(`[bench:scale] ${msg}\n`);

interface Run {
  ms: number;
  code: number;
  maxRssMb: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, with its peak resident memory from GNU time. */
function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '@@maxrss %M', command, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      const rss = Number(/@@maxrss (\d+)/.exec(stderr)?.[1] ?? 0) / 1024;
      resolve({ ms, code: code ?? -1, maxRssMb: rss, stdout, stderr: stderr.replace(/@@maxrss \d+\n?/, '') });
    });
  });
}

interface Env {
  ep: KubeEndpoint;
  kubeconfig: string;
  kubectl: string;
  audit: AuditLog;
  repo: string;
  rendered: string;
  cacheDir: string;
}

function kspec(env: Env, args: string[]): Promise<Run> {
  return runCommand(process.execPath, [KSPEC, ...args], { KUBECONFIG: env.kubeconfig, KSPEC_LOG_LEVEL: 'warn', XDG_CACHE_HOME: env.cacheDir });
}

function kubectl(env: Env, args: string[]): Promise<Run> {
  return runCommand(env.kubectl, ['--kubeconfig', env.kubeconfig, ...args]);
}

interface Measured {
  run: Run;
  requests: RequestCount;
}

/** Runs a step and counts the requests it sent (everything but the API server's own). */
async function measure(env: Env, what: string, step: () => Promise<Run>, okCodes = [0]): Promise<Measured> {
  await sleep(300);
  const mark = env.audit.mark();
  const run = await step();
  await sleep(500); // blocking audit mode: events are written before the response, this is slack
  const requests = env.audit.count(mark, () => true);
  const byVerb = [...requests.byVerb].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v}`).join(', ');
  log(`${what}: ${(run.ms / 1000).toFixed(2)} s, ${requests.total} requests (${requests.writes} writes; ${byVerb}), peak ${run.maxRssMb.toFixed(0)} MB, exit ${run.code}`);
  if (!okCodes.includes(run.code)) log(`${what} exited ${run.code}: ${(run.stderr || run.stdout).slice(0, 2000)}`);
  return { run, requests };
}

/**
 * The environment kspec's pod runs with: glibc's MALLOC_* settings from the image (Dockerfile) and
 * NODE_OPTIONS from deploy/manager/deployment.yaml, so that `kspec run` is measured as deployed.
 */
function deployedEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const deployment = parseDocument(readFileSync(join(REPO_ROOT, 'deploy', 'manager', 'deployment.yaml'), 'utf8')).toJS() as {
    spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } };
  };
  const env: Record<string, string> = {};
  for (const [, name, value] of dockerfile.matchAll(/\b(MALLOC_[A-Z_]+)=(\d+)/g)) env[name] = value;
  for (const container of deployment.spec.template.spec.containers) {
    const nodeOptions = container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  }
  return env;
}

/** `kspec run` (its default schedule: a pass a minute) until it finished `passes` passes; its resident memory after each, and its peak. */
async function measureRun(env: Env, passes: number): Promise<RunMemory> {
  const child = spawn(process.execPath, [KSPEC, 'run', '--repo', env.repo, '--listen', '127.0.0.1:0'], {
    env: { ...process.env, ...deployedEnv(), KUBECONFIG: env.kubeconfig, KSPEC_LOG_LEVEL: 'info', XDG_CACHE_HOME: env.cacheDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const rssMb: number[] = [];
  const passSeconds: number[] = [];
  let started = 0;
  await new Promise<void>((resolve) => {
    let buffer = '';
    const onLine = (line: string) => {
      if (line.includes('"pass started"')) started = performance.now();
      // Later passes still log; only the first `passes` are measured.
      if (!line.includes('"pass finished"') || rssMb.length >= passes) return;
      passSeconds.push((performance.now() - started) / 1000);
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      rssMb.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      log(`kspec run: pass ${rssMb.length} took ${passSeconds.at(-1)!.toFixed(1)} s, ${rssMb.at(-1)!.toFixed(0)} MB resident`);
      if (rssMb.length >= passes) resolve();
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => resolve());
  });
  // Between passes the process is idle: what it holds then is what it keeps. A pass that takes
  // most of the minute leaves a short idle time, so the reading says whether the next had begun.
  const finishedAt = performance.now();
  await sleep(3_000);
  const status = child.exitCode === null ? readFileSync(`/proc/${child.pid}/status`, 'utf8') : '';
  const settledMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const settledInPass = started > finishedAt;
  // The high-water mark: resident memory at its largest, in the middle of a pass.
  const peakMb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  log(`kspec run: ${settledMb.toFixed(0)} MB resident 3 s after pass ${rssMb.length}${settledInPass ? ' (the next pass had begun)' : ''}, ${peakMb.toFixed(0)} MB at its peak`);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r).once('error', r));
  return { rssMb, passSeconds, settledMb, settledInPass, peakMb };
}

interface RunMemory {
  /** Resident at the end of each pass, and how long each took. */
  rssMb: number[];
  passSeconds: number[];
  /** Resident 3 s after the last pass measured; `settledInPass` when the next had begun by then. */
  settledMb: number;
  settledInPass: boolean;
  /** The high-water mark over the whole run. */
  peakMb: number;
}

interface SizeResult {
  policies: number;
  kubectlApply: Measured;
  kspecEmpty: Measured;
  /** From empty again, with kspec's default client-side limits. */
  kspecEmptyDefaultLimits: Measured;
  kspecPlan: Measured;
  kubectlDiff?: Measured;
  kspecIdle: Measured;
  drift: { edited: number; deleted: number; extra: number };
  kspecDrift: Measured;
  kubectlPrune: Measured;
  run?: RunMemory;
}

async function benchSize(policies: number, withRun: boolean, kubectlBin: string): Promise<SizeResult> {
  const work = mkdtempSync(join(tmpdir(), `kspec-scale-${policies}-`));
  const auditLog = join(work, 'audit.log');
  const auditPolicy = join(work, 'audit-policy.yaml');
  writeAuditPolicy(auditPolicy);
  log(`${policies} policies: starting etcd + kube-apiserver in ${work}`);
  const cp = await startControlPlaneProcesses({ dir: join(work, 'cluster'), detached: false, log, apiserverArgs: auditArgs(auditPolicy, auditLog) });
  try {
    await bootstrapCluster(cp.endpoint, log);
    const env: Env = {
      ep: cp.endpoint,
      kubeconfig: cp.kubeconfigPath,
      kubectl: kubectlBin,
      audit: new AuditLog(auditLog),
      repo: join(work, 'repo'),
      rendered: join(work, 'rendered'),
      cacheDir: join(work, 'cache'),
    };
    generateRepo(env.repo, policies, specCount, readSourcePolicies());
    const rendered = await kspec(env, ['render', env.repo, '--output-dir', env.rendered]);
    if (rendered.code !== 0) throw new Error(`kspec render failed: ${rendered.stderr}`);
    log(rendered.stdout.trim());

    const kubectlApply = await measure(env, 'kubectl apply --server-side (from empty)', () => kubectl(env, ['apply', '--server-side', '-R', '-f', env.rendered]));
    await deleteOwned(env.ep);
    const kspecEmptyDefaultLimits = await measure(env, 'kspec reconcile (from empty, default limits)', () => kspec(env, ['reconcile', '--repo', env.repo]), [0, 1]);
    await deleteOwned(env.ep);
    const kspecEmpty = await measure(env, 'kspec reconcile (from empty, limits lifted)', () => kspec(env, ['reconcile', '--repo', env.repo, ...UNLIMITED]), [0, 1]);
    const kspecPlan = await measure(env, 'kspec plan (idle)', () => kspec(env, ['plan', '--repo', env.repo]), [0, 1]);
    const kubectlDiff = policies <= kubectlDiffMax
      ? await measure(env, 'kubectl diff --server-side (idle)', () => kubectl(env, ['diff', '--server-side', '--force-conflicts', '-R', '-f', env.rendered]), [0, 1])
      : undefined;
    // The pass after the one that created everything still writes: drift fixed is news for the
    // status and the DriftReport. The pass after that one is idle.
    await kspec(env, ['reconcile', '--repo', env.repo]);
    const kspecIdle = await measure(env, 'kspec reconcile (idle)', () => kspec(env, ['reconcile', '--repo', env.repo]), [0, 1]);
    const drift = await makeDrift(env.ep, 'kspec');
    const kspecDrift = await measure(env, `kspec reconcile (10 % drift, limits lifted)`, () => kspec(env, ['reconcile', '--repo', env.repo, ...UNLIMITED]), [0, 1]);
    await makeDrift(env.ep, 'kubectl');
    const kubectlPrune = await measure(env, 'kubectl apply --prune (10 % drift)', () =>
      kubectl(env, ['apply', '--server-side', '--force-conflicts', '--prune', '-l', 'app.kubernetes.io/managed-by=kspec', '--prune-whitelist', 'kyverno.io/v1/ClusterPolicy', '-R', '-f', env.rendered]),
    );
    let run;
    if (withRun) {
      // kspec run watches what its compliance engine evaluates: give it a workload to hold.
      const t = performance.now();
      await createWorkload(env.ep, resourceCount);
      log(`created ${resourceCount} workload objects in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      run = await measureRun(env, runPasses);
    }
    return { policies, kubectlApply, kspecEmpty, kspecEmptyDefaultLimits, kspecPlan, ...(kubectlDiff ? { kubectlDiff } : {}), kspecIdle, drift, kspecDrift, kubectlPrune, ...(run ? { run } : {}) };
  } finally {
    await cp.stop();
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

async function startupRss(): Promise<{ helpMb: number; helpMs: number; validateMb: number }> {
  const help = await runCommand(process.execPath, [KSPEC, '--help']);
  const validate = await runCommand(process.execPath, [KSPEC, 'validate', join(REPO_ROOT, 'examples', 'repo')]);
  return { helpMb: help.maxRssMb, helpMs: help.ms, validateMb: validate.maxRssMb };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
// Two decimals: a ratio near a goal (2.0×) must not be decided by rounding.
const times = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function report(main: SizeResult, all: SizeResult[], startup: Awaited<ReturnType<typeof startupRss>>, kubectlVersion: string): string {
  const m = main;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free at the end), Node ${process.version}, ${kubectlVersion}, kube-apiserver 1.20 + etcd on loopback; load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min) at the end`;
  const rows = [
    ['From empty', `\`reconcile\` ${s(m.kspecEmpty.run.ms)}, ${m.kspecEmpty.requests.total} requests (${m.kspecEmpty.requests.writes} writes, ${m.kspecEmpty.requests.eventsCreated} Events)`, `\`apply --server-side -R -f DIR\` ${s(m.kubectlApply.run.ms)}, ${m.kubectlApply.requests.total} requests`, `${times(m.kubectlApply.run.ms, m.kspecEmpty.run.ms)} (goal ≥ 2×)`],
    ['From empty, kspec\'s default limits (50 requests/s, burst 100)', `\`reconcile\` ${s(m.kspecEmptyDefaultLimits.run.ms)}, ${m.kspecEmptyDefaultLimits.requests.total} requests`, '–', `${times(m.kubectlApply.run.ms, m.kspecEmptyDefaultLimits.run.ms)}`],
    ['Idle, detect only', `\`plan\` ${s(m.kspecPlan.run.ms)}, ${m.kspecPlan.requests.total} requests`, m.kubectlDiff ? `\`diff --server-side -R -f DIR\` ${s(m.kubectlDiff.run.ms)}, ${m.kubectlDiff.requests.total} requests` : 'not run', m.kubectlDiff ? `${times(m.kubectlDiff.run.ms, m.kspecPlan.run.ms)} (goal ≥ 5×)` : ''],
    ['Idle pass', `\`reconcile\` ${s(m.kspecIdle.run.ms)}, ${m.kspecIdle.requests.total} requests, ${m.kspecIdle.requests.writes} writes`, '–', `goal ≤ 60 requests, 0 writes`],
    [`10 % drift repaired (${m.drift.edited} edited, ${m.drift.deleted} deleted, ${m.drift.extra} extra)`, `${s(m.kspecDrift.run.ms)}, ${m.kspecDrift.requests.total} requests`, `\`apply --server-side --prune\` ${s(m.kubectlPrune.run.ms)}, ${m.kubectlPrune.requests.total} requests`, `${times(m.kubectlPrune.run.ms, m.kspecDrift.run.ms)} (goal ≥ 2×)`],
    ['Events from empty', `${m.kspecEmpty.requests.eventsCreated}`, '–', 'goal ≤ 100'],
    [`\`kspec run\` resident memory (${Object.entries(deployedEnv()).map(([k, v]) => `${k}=${v}`).join(' ')}, as deployed)`, m.run ? `${m.run.rssMb.map((r) => `${r.toFixed(0)} MB`).join(', ')} at the end of passes 1–${m.run.rssMb.length}, ${m.run.settledMb.toFixed(0)} MB 3 s after the last${m.run.settledInPass ? ' (the next pass had begun)' : ''}, ${m.run.peakMb.toFixed(0)} MB at its peak during a pass (passes took ${m.run.passSeconds.map((p) => p.toFixed(1)).join(', ')} s)` : 'not measured', '–', 'goal ≤ 200 MB'],
    ['Start-up', `\`kspec --help\` ${startup.helpMb.toFixed(0)} MB peak, ${s(startup.helpMs)}; \`kspec validate\` ${startup.validateMb.toFixed(0)} MB peak`, '–', ''],
  ];
  const growth = all.map((r) => [
    String(r.policies),
    `${s(r.kspecEmpty.run.ms)} / ${r.kspecEmpty.requests.total}`,
    `${s(r.kubectlApply.run.ms)} / ${r.kubectlApply.requests.total}`,
    `${s(r.kspecPlan.run.ms)} / ${r.kspecPlan.requests.total}`,
    r.kubectlDiff ? `${s(r.kubectlDiff.run.ms)} / ${r.kubectlDiff.requests.total}` : `not run (above ${kubectlDiffMax})`,
    `${s(r.kspecIdle.run.ms)} / ${r.kspecIdle.requests.total}`,
    `${s(r.kspecDrift.run.ms)} / ${r.kspecDrift.requests.total}`,
    `${s(r.kubectlPrune.run.ms)} / ${r.kubectlPrune.requests.total}`,
    `${r.kspecEmpty.run.maxRssMb.toFixed(0)} MB`,
  ]);
  const table = (head: string[], body: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  return [
    '# Benchmarks',
    '',
    'Produced by `npm run bench:scale` (bench/scale/): a real etcd + kube-apiserver started for each size, policies',
    'generated from the Apache-2.0 Kyverno policies of the conformance cases (renamed), spread over',
    `${specCount} enforce-mode specs aimed at one cluster (compliance source auto: the engine, as no Kyverno runs).`,
    `The timed steps run on a cluster without workload, as kubectl's do; \`kspec run\` then runs with ${resourceCount} Pods,`,
    'Deployments and Services for its compliance engine to list and evaluate.',
    'kubectl gets exactly the objects `kspec render --output-dir DIR` wrote. Requests are counted from the API',
    "server's audit log (everything the command sent). Times are wall-clock, one run each.",
    'kubectl applies each object through a client of its own, so it has no client-side rate limit; kspec\'s',
    `timed \`reconcile\` runs are given the same (\`${UNLIMITED.join(' ')}\`), and from empty is also timed`,
    'with its defaults, the limits of a controller sharing the API server (50 requests/s, burst 100).',
    '',
    `Machine: ${machine}. Run: ${new Date().toISOString()}.`,
    '',
    `## ${m.policies} policies in ${specCount} specs`,
    '',
    table(['Work', 'kspec', 'kubectl on the same objects', 'kspec vs kubectl'], rows),
    '',
    '## Growth',
    '',
    'Time / API requests at each size.',
    '',
    table(['Policies', 'kspec from empty', 'kubectl apply', 'kspec plan', 'kubectl diff', 'kspec idle pass', 'kspec 10 % drift', 'kubectl apply --prune', 'kspec peak memory (from empty)'], growth),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const kubectlBin = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'install-kubectl.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop()!) : reject(new Error('scripts/install-kubectl.sh failed'))));
  });
  const kubectlVersion = (await runCommand(kubectlBin, ['version', '--client', '--short'])).stdout.trim();
  log(`kubectl: ${kubectlBin} (${kubectlVersion})`);
  const startup = await startupRss();
  log(`kspec --help: ${startup.helpMb.toFixed(0)} MB peak, ${(startup.helpMs / 1000).toFixed(2)} s; kspec validate: ${startup.validateMb.toFixed(0)} MB peak`);
  const results: SizeResult[] = [];
  for (const size of [...new Set([...sizes, mainSize])].sort((a, b) => a - b)) {
    results.push(await benchSize(size, size === mainSize, kubectlBin));
  }
  const main = results.find((r) => r.policies === mainSize)!;
  const text = report(main, results, startup, kubectlVersion);
  writeFileSync(values.out!, text);
  process.stdout.write(text);
  log(`wrote ${values.out}`);
}

await main();
