// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics
// (k8s.io/client-go/tools/leaderelection):
//
//   - A candidate reads the Lease; it may take it when the Lease does not exist, names nobody
//     (released), or has not changed for leaseDurationSeconds as observed on the candidate's own
//     clock (the holder's clock is never trusted: no clock-skew assumption between replicas).
//   - Writes are optimistic: an update carries the resourceVersion that was read, so two
//     candidates racing for an expired Lease cannot both win (the loser gets 409 Conflict).
//   - The leader renews every retryPeriod. If it has not managed to renew for renewDeadline, it
//     stops leading (aborts the signal given to onStartedLeading) before the Lease can expire
//     for others: renewDeadline < leaseDuration keeps two leaders from overlapping.
//   - release() clears holderIdentity (and sets leaseDurationSeconds to 1), so another replica
//     takes over on its next retry instead of waiting for the Lease to expire.
//
//   const elector = new LeaderElector({ kubeConfig, namespace: 'kspec-system', name: 'kspec-leader',
//     onStartedLeading: (signal) => runLoop(signal), onStoppedLeading: () => log.warn('lost lease') });
//   void elector.run(shutdownSignal);
//   …on SIGTERM: await elector.release();
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from './kube-config.ts';
import { LeaseClient, leaseTime, type Lease } from './lease-client.ts';
import { nullLogger, type Logger } from '../log.ts';
import { withTimeout } from '../util/with-timeout.ts';

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  /** Namespace of the Lease (the operator's own namespace). */
  namespace: string;
  /** Lease name; default 'kspec-leader'. */
  name?: string;
  /** Unique per process; default defaultIdentity(). */
  identity?: string;
  /** How long a Lease stays valid without renewal; default 15 s. Written to the Lease in whole seconds. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before giving up; default 10 s. Must be < leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Interval between attempts (acquire and renew); default 2 s. */
  retryPeriodMs?: number;
  /**
   * Called when this process becomes leader. `signal` is aborted when leadership ends (lost,
   * released, or run() stopped); the callback must stop its work then. Errors are logged.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called when leadership ends, after `signal` was aborted. */
  onStoppedLeading?(): void;
  /** Called when a different holder is observed (including ourselves). */
  onNewLeader?(identity: string): void;
  /**
   * When run()'s signal is aborted while leading: release the Lease (default true). A replica
   * that is shutting down should hand over at once; set false to simulate a crash.
   */
  releaseOnCancel?: boolean;
  logger?: Logger;
}

export const DEFAULT_LEASE_NAME = 'kspec-leader';
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** client-go's JitterFactor for the acquire loop. */
const JITTER_FACTOR = 1.2;

/** The pod's name: POD_NAME, then HOSTNAME, then the host name. */
export function podName(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME || env.HOSTNAME || hostname() || 'kspec';
}

/** Pod name plus a random suffix: unique per process, so a restarted pod is a new holder. */
export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return `${podName(env)}_${randomBytes(4).toString('hex')}`;
}

interface ObservedRecord {
  holder: string;
  /** Raw renewTime as stored (string), compared for change only. */
  renewTime: string;
  leaseDurationSeconds: number;
  transitions: number;
  resourceVersion: string;
}

export function toIso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : '';
}

export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class LeaderElector {
  readonly identity: string;
  readonly namespace: string;
  readonly name: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;

  readonly #leases: LeaseClient;
  readonly #opts: LeaderElectionOptions;
  readonly #log: Logger;
  #observed: ObservedRecord | undefined;
  #observedAt = 0;
  #leading = false;
  #leaderAbort: AbortController | undefined;
  #running: Promise<void> | undefined;
  #stop = new AbortController();
  #lastReportedLeader: string | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.#opts = opts;
    this.namespace = opts.namespace;
    this.name = opts.name ?? DEFAULT_LEASE_NAME;
    this.identity = opts.identity ?? defaultIdentity();
    this.leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) throw new Error('leaseDuration must be greater than renewDeadline');
    if (!(this.renewDeadlineMs > JITTER_FACTOR * this.retryPeriodMs)) {
      throw new Error('renewDeadline must be greater than retryPeriod*1.2');
    }
    if (this.retryPeriodMs <= 0) throw new Error('retryPeriod must be positive');
    this.#leases = new LeaseClient(opts.kubeConfig, this.namespace);
    this.#log = (opts.logger ?? nullLogger).child({ component: 'leader-election', lease: `${this.namespace}/${this.name}`, identity: this.identity });
  }

  /** True while this process holds the Lease. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last observed on the Lease ('' when released, undefined before the first read). */
  getLeader(): string | undefined {
    return this.#observed?.holder;
  }

  /**
   * Campaigns until `signal` is aborted or stop()/release() is called: acquire, lead while
   * renewals succeed, and when leadership is lost go back to campaigning. Resolves after the
   * last leadership (if any) has ended.
   */
  run(signal?: AbortSignal): Promise<void> {
    if (this.#running) return this.#running;
    if (signal) {
      if (signal.aborted) this.#stop.abort();
      else signal.addEventListener('abort', () => this.#stop.abort(), { once: true });
    }
    this.#running = this.#loop();
    return this.#running;
  }

  /** Stops campaigning without releasing the Lease (unless releaseOnCancel, the default). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  /**
   * Stops campaigning and, if this process holds the Lease, clears holderIdentity so another
   * replica takes over at once. Safe to call more than once and when not leading.
   */
  async release(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    await this.#releaseLease();
  }

  async #loop(): Promise<void> {
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      const acquired = await this.#acquire(stop);
      if (!acquired) break;
      await this.#lead(stop);
    }
    if (this.#opts.releaseOnCancel ?? true) await this.#releaseLease();
  }

  /** Tries every retryPeriod (with jitter) until the Lease is ours; false when stopped. */
  async #acquire(stop: AbortSignal): Promise<boolean> {
    this.#log.debug('attempting to acquire lease');
    while (!stop.aborted) {
      if (await this.#tryAcquireOrRenew()) {
        this.#log.info('acquired lease', { from: this.#acquiredFrom });
        return true;
      }
      await sleep(this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR), stop);
    }
    return false;
  }

  async #lead(stop: AbortSignal): Promise<void> {
    const abort = new AbortController();
    this.#leaderAbort = abort;
    this.#leading = true;
    let workSettled = false;
    const work = Promise.resolve()
      .then(() => this.#opts.onStartedLeading(abort.signal))
      .catch((err: unknown) => this.#log.error('onStartedLeading failed', { err }))
      .finally(() => {
        workSettled = true;
      });

    // Renew every retryPeriod; each renewal must succeed within renewDeadline of the last one.
    // When stopping, the work is told to stop (abort) but the Lease is kept renewed until the
    // work has settled, so that no other replica starts while this one still acts.
    let lastRenew = Date.now();
    let lost = false;
    for (;;) {
      if (stop.aborted) {
        abort.abort();
        if (workSettled) break;
      }
      await Promise.race([sleep(this.retryPeriodMs, stop.aborted ? undefined : stop), ...(stop.aborted ? [work] : [])]);
      if (stop.aborted) {
        abort.abort();
        if (workSettled) break;
      }
      let renewed = false;
      while (Date.now() - lastRenew < this.renewDeadlineMs) {
        const left = this.renewDeadlineMs - (Date.now() - lastRenew);
        renewed = await this.#tryAcquireOrRenew(Math.max(1, left));
        if (renewed || this.#observedByOther()) break;
        await sleep(Math.min(this.retryPeriodMs, Math.max(0, this.renewDeadlineMs - (Date.now() - lastRenew))));
      }
      if (!renewed) {
        lost = true;
        this.#log.warn('failed to renew lease: leadership lost', { holder: this.#observed?.holder });
        break;
      }
      lastRenew = Date.now();
    }
    this.#leading = false;
    abort.abort();
    await work;
    this.#leaderAbort = undefined;
    if (!lost) this.#log.info('stopped leading');
    try {
      this.#opts.onStoppedLeading?.();
    } catch (err) {
      this.#log.error('onStoppedLeading failed', { err });
    }
  }

  #observedByOther(): boolean {
    const h = this.#observed?.holder;
    return h !== undefined && h !== '' && h !== this.identity;
  }

  #observe(lease: Lease): void {
    const spec = lease.spec ?? {};
    const rec: ObservedRecord = {
      holder: spec.holderIdentity ?? '',
      renewTime: toIso(spec.renewTime),
      leaseDurationSeconds: spec.leaseDurationSeconds ?? Math.ceil(this.leaseDurationMs / 1000),
      transitions: spec.leaseTransitions ?? 0,
      resourceVersion: lease.metadata?.resourceVersion ?? '',
    };
    const prev = this.#observed;
    if (!prev || prev.holder !== rec.holder || prev.renewTime !== rec.renewTime || prev.transitions !== rec.transitions) {
      this.#observedAt = Date.now();
    }
    this.#observed = rec;
    if (rec.holder && rec.holder !== this.#lastReportedLeader) {
      this.#lastReportedLeader = rec.holder;
      if (rec.holder !== this.identity) this.#log.info('new leader observed', { leader: rec.holder });
      try {
        this.#opts.onNewLeader?.(rec.holder);
      } catch (err) {
        this.#log.error('onNewLeader failed', { err });
      }
    }
  }

  /**
   * How the last successful attempt got the Lease: it did not exist, its holder released it, or
   * its holder stopped renewing it for a whole lease duration. Logged, so a handover can be told
   * from a crash takeover without timing it.
   */
  #acquiredFrom: 'absent' | 'released' | 'expired' | 'ours' = 'absent';
  get acquiredFrom(): 'absent' | 'released' | 'expired' | 'ours' {
    return this.#acquiredFrom;
  }

  /** One attempt, as client-go's tryAcquireOrRenew. Never throws. */
  async #tryAcquireOrRenew(timeoutMs = this.renewDeadlineMs): Promise<boolean> {
    const now = new Date();
    const durationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    try {
      let lease: Lease;
      try {
        lease = await withTimeout(this.#leases.read(this.name, timeoutMs), timeoutMs, 'reading lease');
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        const created = await withTimeout(
          this.#leases.create(
            {
              metadata: { name: this.name, namespace: this.namespace, labels: { 'app.kubernetes.io/name': 'kspec' } },
              spec: {
                holderIdentity: this.identity,
                leaseDurationSeconds: durationSeconds,
                acquireTime: leaseTime(now.getTime()),
                renewTime: leaseTime(now.getTime()),
                leaseTransitions: 0,
              },
            },
            timeoutMs,
          ),
          timeoutMs,
          'creating lease',
        );
        this.#observe(created);
        this.#acquiredFrom = 'absent';
        return true;
      }
      this.#observe(lease);
      const rec = this.#observed!;
      const mine = rec.holder === this.identity;
      const expired = Date.now() > this.#observedAt + rec.leaseDurationSeconds * 1000;
      if (!mine && rec.holder !== '' && !expired) return false;

      const spec = lease.spec ?? {};
      const body: Lease = {
        metadata: { ...lease.metadata, name: this.name, namespace: this.namespace, resourceVersion: rec.resourceVersion },
        spec: {
          holderIdentity: this.identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: mine && spec.acquireTime ? leaseTime(new Date(toIso(spec.acquireTime)).getTime()) : leaseTime(now.getTime()),
          renewTime: leaseTime(now.getTime()),
          leaseTransitions: mine ? rec.transitions : rec.transitions + 1,
        },
      };
      const updated = await withTimeout(
        this.#leases.replace(this.name, body, timeoutMs),
        timeoutMs,
        'updating lease',
      );
      this.#observe(updated);
      this.#acquiredFrom = mine ? 'ours' : rec.holder === '' ? 'released' : 'expired';
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 409) this.#log.debug('lease update conflict: another candidate won');
      else this.#log.warn('lease attempt failed', { err, status });
      return false;
    }
  }

  async #releaseLease(): Promise<void> {
    // Stop leading first, so the work stops before another replica can start.
    this.#leaderAbort?.abort();
    if (!this.#observed || this.#observed.holder !== this.identity) return;
    try {
      const lease = await withTimeout(
        this.#leases.read(this.name, this.renewDeadlineMs),
        this.renewDeadlineMs,
        'reading lease',
      );
      if ((lease.spec?.holderIdentity ?? '') !== this.identity) return;
      const now = leaseTime(Date.now());
      const body: Lease = {
        metadata: lease.metadata,
        spec: {
          // holderIdentity left out: cleared
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: lease.spec?.leaseTransitions ?? 0,
        },
      };
      const updated = await withTimeout(
        this.#leases.replace(this.name, body, this.renewDeadlineMs),
        this.renewDeadlineMs,
        'releasing lease',
      );
      this.#observe(updated);
      this.#log.info('released lease');
    } catch (err) {
      this.#log.warn('failed to release lease; it will expire on its own', { err, status: statusOf(err) });
    }
  }
}
