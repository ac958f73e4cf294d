// npm test [-- FILE_OR_GLOB ...]
//
// Starts the suite's control plane (etcd + kube-apiserver 1.20, state in .kspec/test-cluster),
// runs `node --test` with KSPEC_TEST_KUBECONFIG pointing at its admin kubeconfig, stops the
// control plane afterwards (also on failure and ctrl-c) and exits with the test runner's code.
// A control plane already started with `npm run cluster:up -- --dir .kspec/test-cluster` is
// reused and left running, which saves its start-up on every run while iterating.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, up, type UpResult } from './lib/control-plane.ts';

const DIR = path.join(REPO_ROOT, '.kspec', 'test-cluster');
const DEFAULT_PATTERNS = ['test/**/*.test.ts'];

const log = (m: string) => process.stderr.write(`[test] ${m}\n`);

async function main(args: string[]): Promise<number> {
  let interrupted: NodeJS.Signals | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted ??= sig;
    // The runner shares our process group, so a terminal's ctrl-c already reached it; a signal
    // sent to this process alone is passed on.
    child?.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  let cluster: UpResult | undefined;
  try {
    const t0 = Date.now();
    cluster = await up({ dir: DIR, detached: false, log });
    log(
      cluster.reused
        ? `using the running control plane at ${cluster.server}`
        : `control plane up at ${cluster.server} (kube-apiserver ready ${cluster.startupMs} ms after etcd start; ${Date.now() - t0} ms with CRDs)`,
    );
    if (interrupted) return 130;

    const patterns = args.length ? args : DEFAULT_PATTERNS;
    child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...patterns], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: { ...process.env, KSPEC_TEST_KUBECONFIG: cluster.kubeconfigPath },
    });
    const code = await new Promise<number>((resolve) => {
      child!.on('exit', (c, sig) => resolve(c ?? (sig ? 128 + (signalNumber(sig) ?? 1) : 1)));
      child!.on('error', (err) => {
        log(`could not start the test runner: ${err.message}`);
        resolve(1);
      });
    });
    return interrupted && code === 0 ? 130 : code;
  } finally {
    if (cluster?.running) {
      log('stopping the control plane');
      await cluster.running.stop();
    }
  }
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig];
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
