// Graceful shutdown on SIGTERM / SIGINT, in the order that keeps a rollout safe:
//
//   1. `signal` is aborted: the running pass stops at its next checkpoint, the scheduler stops
//      starting new ones, and isShuttingDown() turns /readyz to 503.
//   2. Wait (up to gracePeriodMs in total) for the tracked work, i.e. the pass in flight, to settle.
//   3. Run the hooks in the order they were added (typically: release the leader Lease, so the
//      other replica takes over at once; then close the HTTP server; then flush anything else).
//   4. exit(0), or exit(1) when the grace period ran out. A second signal exits at once (130).
//
//   const shutdown = installShutdown({ logger });
//   shutdown.addHook('release lease', () => elector.release());
//   shutdown.addHook('close http server', () => server.close());
//   scheduler.start(shutdown.signal); shutdown.track(passPromise);
//
// Keep gracePeriodMs below the pod's terminationGracePeriodSeconds (30 s by default) so the
// Lease is released before the kubelet sends SIGKILL.
import { nullLogger, type Logger } from '../log.ts';
import { TimeoutError, withTimeout } from '../util/with-timeout.ts';

export interface ShutdownOptions {
  /** Total time for draining work and running hooks; default 25 s. */
  gracePeriodMs?: number;
  /** Signals to handle; default SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
  logger?: Logger;
  /** Default process.exit. Tests pass their own. */
  exit?: (code: number) => void;
  /** Where signal handlers are installed; default process. */
  process?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export interface ShutdownController {
  /** Aborted as soon as shutdown begins. Give it to the scheduler and to every pass. */
  readonly signal: AbortSignal;
  isShuttingDown(): boolean;
  /** Adds a step run after the work has drained, in order of addition. Each is bounded by what is left of the grace period. */
  addHook(name: string, fn: () => void | Promise<void>): void;
  /** Registers in-flight work (a pass) that shutdown waits for; returns the same promise. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Starts the shutdown (also what the signal handlers call). Resolves with the exit code, after exit() was called. */
  shutdown(reason: string): Promise<number>;
  /** Removes the signal handlers (tests; or when the caller exits by itself). */
  dispose(): void;
}

export function installShutdown(options: ShutdownOptions = {}): ShutdownController {
  const grace = options.gracePeriodMs ?? 25_000;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const log = (options.logger ?? nullLogger).child({ component: 'shutdown' });
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const proc = options.process ?? process;

  const abort = new AbortController();
  const hooks: Array<{ name: string; fn: () => void | Promise<void> }> = [];
  const inflight = new Set<Promise<unknown>>();
  let started: Promise<number> | undefined;
  let exited = false;

  const doExit = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };

  const onSignal = (sig: NodeJS.Signals) => {
    if (started) {
      log.warn('second signal: exiting now', { signal: sig });
      doExit(130);
      return;
    }
    void controller.shutdown(`signal ${sig}`);
  };

  async function run(reason: string): Promise<number> {
    const t0 = Date.now();
    const left = () => grace - (Date.now() - t0);
    log.info('shutting down', { reason, gracePeriodMs: grace, inflight: inflight.size });
    abort.abort(new Error(`shutdown: ${reason}`));
    let code = 0;

    if (inflight.size > 0) {
      try {
        await withTimeout(Promise.allSettled([...inflight]), left(), 'in-flight work');
        log.info('in-flight work finished', { ms: Date.now() - t0 });
      } catch {
        log.warn('in-flight work did not finish within the grace period', { inflight: inflight.size });
        code = 1;
      }
    }

    for (const hook of hooks) {
      const budget = left();
      if (budget <= 0) {
        log.warn('grace period exhausted; skipping shutdown step', { step: hook.name });
        code = 1;
        continue;
      }
      try {
        await withTimeout(Promise.resolve().then(hook.fn), budget, `shutdown hook ${hook.name}`);
        log.debug('shutdown step done', { step: hook.name });
      } catch (err) {
        log.warn('shutdown step failed', { step: hook.name, err });
        if (err instanceof TimeoutError) code = 1;
      }
    }
    controller.dispose();
    log.info('shutdown complete', { ms: Date.now() - t0, exitCode: code });
    doExit(code);
    return code;
  }

  const controller: ShutdownController = {
    signal: abort.signal,
    isShuttingDown: () => started !== undefined,
    addHook(name, fn) {
      hooks.push({ name, fn });
    },
    track(work) {
      inflight.add(work);
      const remove = () => inflight.delete(work);
      work.then(remove, remove);
      return work;
    },
    shutdown(reason) {
      started ??= run(reason);
      return started;
    },
    dispose() {
      for (const s of signals) proc.off(s, onSignal);
    },
  };
  for (const s of signals) proc.on(s, onSignal);
  return controller;
}
