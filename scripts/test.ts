// npm test [-- FILE_OR_GLOB ...]
//
// Starts the suite's control plane (etcd + kube-apiserver 1.20), runs `node --test` with
// KSPEC_TEST_KUBECONFIG pointing at its admin kubeconfig, stops the control plane afterwards
// (also on failure and ctrl-c) and exits with the test runner's code.
//
// Each run gets its own control plane in .kspec/test-cluster/run-<pid>, so runs started at the
// same time from one checkout do not share (or wipe) each other's data. A control plane started
// with `npm run cluster:up -- --dir .kspec/test-cluster` is reused instead and left running,
// which saves the start-up on every run while iterating.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { aliveControlPlane, bootstrapCluster, removeDataDir, REPO_ROOT, up } from './lib/control-plane.ts';
import type { RunningControlPlane } from './lib/control-plane.ts';

const DIR = path.join(REPO_ROOT, '.kspec', 'test-cluster');
const DEFAULT_PATTERNS = ['test/**/*.test.ts'];

const log = (m: string) => process.stderr.write(`[test] ${m}\n`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Data folders of earlier runs that were killed before they could clean up. */
async function pruneStaleRuns(): Promise<void> {
  for (const name of await readdir(DIR).catch(() => [] as string[])) {
    const m = /^run-(\d+)$/.exec(name);
    if (m && !alive(Number(m[1]))) await removeDataDir(path.join(DIR, name));
  }
}

async function main(args: string[]): Promise<number> {
  const abort = new AbortController();
  let child: ReturnType<typeof spawn> | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!abort.signal.aborted) log(`${sig}: stopping`);
    abort.abort();
    // The runner shares our process group, so a terminal's ctrl-c already reached it; a signal
    // sent to this process alone is passed on.
    child?.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  let running: RunningControlPlane | undefined;
  let runDir: string | undefined;
  try {
    let kubeconfigPath: string;
    const shared = await aliveControlPlane(DIR);
    if (shared) {
      await bootstrapCluster(shared.endpoint, log);
      kubeconfigPath = shared.state.kubeconfig;
      log(`using the running control plane at ${shared.state.server} (${path.relative(REPO_ROOT, DIR)})`);
    } else {
      await pruneStaleRuns();
      const t0 = Date.now();
      runDir = path.join(DIR, `run-${process.pid}`);
      const res = await up({ dir: runDir, detached: false, log, signal: abort.signal });
      running = res.running;
      kubeconfigPath = res.kubeconfigPath;
      log(
        `control plane up at ${res.server}: kube-apiserver ready ${res.startupMs} ms after etcd started, ` +
          `${Date.now() - t0} ms with CRDs`,
      );
    }
    if (abort.signal.aborted) return 130;

    const patterns = args.length ? args : DEFAULT_PATTERNS;
    child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...patterns], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: { ...process.env, KSPEC_TEST_KUBECONFIG: kubeconfigPath },
    });
    const code = await new Promise<number>((resolve) => {
      child!.on('exit', (c, sig) => resolve(c ?? 128 + (sig === 'SIGINT' ? 2 : sig === 'SIGKILL' ? 9 : 15)));
      child!.on('error', (err) => {
        log(`could not start the test runner: ${err.message}`);
        resolve(1);
      });
    });
    return abort.signal.aborted ? 130 : code;
  } catch (err) {
    if (abort.signal.aborted) return 130;
    throw err;
  } finally {
    if (running) {
      log('stopping the control plane');
      await running.stop();
    }
    if (runDir) await removeDataDir(runDir);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
