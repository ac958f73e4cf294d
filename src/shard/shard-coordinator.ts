// Splits the fleet's ClusterTargets between the replicas of `kspec run --leader-elect
// --sharding auto|static`, through Leases in kspec's namespace (see shard-leases.ts), with the
// leader election's semantics (leader-election.ts): optimistic writes carrying the
// resourceVersion read, renewDeadline < leaseDuration, and no trust in another replica's clock.
//
// Every retryPeriod one round: LIST the group's Leases, renew this replica's heartbeat, then take
// the wanted targets whose Lease is free and hand over the ones it should no longer own
// (planOwnership). A target's Lease is renewed by its holder's heartbeat, not written every
// round: one write per replica per round, however many targets it owns.
//
// The fence: this replica may write to a target only while (1) the Lease named it in a LIST
// sent less than renewDeadline ago and (2) its heartbeat, sent in the same round, succeeded. A
// replica takes a target held by another only after that holder's heartbeat and the target's
// Lease have both stood still for a whole lease duration on its own clock, i.e. after the
// holder's fence closed (renewDeadline < leaseDuration). So no two replicas write to one target
// at once, even when a holder is cut off from the API server: it fences itself off first.
import type { KubeConfig } from '../cluster/kube-config.ts';
import { nullLogger, type Logger } from '../log.ts';
import { sleep, statusOf } from '../cluster/leader-election.ts';
import { planOwnership, type ObservedTarget } from './ownership-plan.ts';
import { ShardLeases, leaseName, type GroupLease } from './shard-leases.ts';
import type { StaticShard } from './static-shard.ts';
import { FencedOff, type TargetOwnership } from './target-ownership.ts';

export interface ShardCoordinatorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Prefix of the group's Lease names and the value of their group label. */
  group: string;
  /** This replica's stable name (POD_NAME or the host name): its heartbeat Lease is named after it. */
  member: string;
  /** Unique per process (pod name and a random suffix): the holderIdentity it writes. */
  identity: string;
  mode: 'auto' | StaticShard;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** The set of targets this replica may write to changed (taken, handed over, lost). */
  onOwnedChanged?(owned: Set<string>): void;
  /** Another replica received a push webhook. */
  onPush?(reason: string): void;
  /** One call per target taken or handed over. */
  onRebalance?(target: string, change: 'taken' | 'handed over' | 'lost'): void;
  logger?: Logger;
  now?: () => number;
}

/** Member Leases silent this long are deleted by whoever notices (pods that crashed). */
const STALE_MEMBER_FACTOR = 20;

export class ShardCoordinator implements TargetOwnership {
  readonly #opts: ShardCoordinatorOptions;
  readonly #leases: ShardLeases;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Per Lease name: its fingerprint and when this replica saw it change (own clock). */
  readonly #seen = new Map<string, { fingerprint: string; at: number }>();
  #universe = new Set<string>();
  /** Targets whose Lease names this replica, as of the last complete round. */
  #held = new Set<string>();
  /** The fence stays open until then (own clock); 0 when closed. */
  #fenceUntil = 0;
  readonly #writing = new Map<string, number>();
  /** Targets being handed over: no new write stage starts on them. */
  readonly #leaving = new Set<string>();
  #round: Promise<void> = Promise.resolve();
  #stopped = false;
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();
  #lastPush: string | undefined;
  #ownPush: string | undefined;
  /** The announce in flight, and the reason of the one queued after it (a flood makes two writes, not one each). */
  #announcing: Promise<void> | undefined;
  #queuedPush: string | undefined;
  #reported = '';
  #live: string[] = [];

  constructor(opts: ShardCoordinatorOptions) {
    if (!(opts.leaseDurationMs > opts.renewDeadlineMs && opts.renewDeadlineMs > opts.retryPeriodMs)) {
      throw new Error('sharding needs retryPeriod < renewDeadline < leaseDuration');
    }
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#leases = new ShardLeases(opts.kubeConfig, opts.namespace, opts.group, opts.renewDeadlineMs);
    this.#log = (opts.logger ?? nullLogger).child({ component: 'sharding', member: opts.member, identity: opts.identity });
  }

  get identity(): string {
    return this.#opts.identity;
  }

  /** The live members of the group as of the last round (this replica included). */
  live(): string[] {
    return [...this.#live];
  }

  /** The targets known to this replica (from its last pass). */
  known(): number {
    return this.#universe.size;
  }

  /** Targets this replica may write to now. */
  owned(): Set<string> {
    return new Set([...this.#held].filter((t) => this.#mayWrite(t)));
  }

  /** Starts the rounds (every retryPeriod until stop()). */
  start(): void {
    this.#loop ??= (async () => {
      while (!this.#stop.signal.aborted) {
        await this.#nextRound();
        await sleep(this.#opts.retryPeriodMs, this.#stop.signal);
      }
    })();
  }

  async claim(targets: string[]): Promise<Set<string>> {
    this.#universe = new Set(targets);
    await this.#nextRound();
    return this.owned();
  }

  async write<T>(target: string, stage: string, fn: () => Promise<T>): Promise<T> {
    if (!this.#mayWrite(target)) throw new FencedOff(target, stage);
    this.#writing.set(target, (this.#writing.get(target) ?? 0) + 1);
    const started = this.#now();
    try {
      return await fn();
    } finally {
      this.#writing.set(target, this.#writing.get(target)! - 1);
      if (this.#writing.get(target) === 0) this.#writing.delete(target);
      // One line per write stage: who wrote to which target, and when (tests check these never overlap).
      this.#log.info('target write', { target, stage, from: started, to: this.#now() });
    }
  }

  /**
   * Bumps the trigger Lease so every replica runs a pass for a push this replica received.
   * Pushes arriving while one is being announced are folded into one more announce.
   */
  announcePush(reason: string): Promise<void> {
    if (this.#announcing) {
      this.#queuedPush = reason;
      return this.#announcing;
    }
    this.#announcing = (async () => {
      try {
        for (let next: string | undefined = reason; next !== undefined; next = this.#queuedPush) {
          this.#queuedPush = undefined;
          await this.#writePushLease(next);
        }
      } finally {
        this.#announcing = undefined;
      }
    })();
    return this.#announcing;
  }

  async #writePushLease(reason: string): Promise<void> {
    const value = `${this.#opts.identity} ${this.#now()} ${reason}`;
    this.#ownPush = value;
    const name = leaseName(this.#opts.group, 'push');
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = (await this.#leases.list()).find((l) => l.name === name);
      try {
        await this.#leases.write('push', '', '', this.#opts.leaseDurationMs, current?.raw, { 'kspec.io/push': value });
        return;
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
    }
  }

  /**
   * Planned shutdown: stop the rounds, refuse new write stages, hand every target over once its
   * write stage in flight (if any) has finished, and remove the heartbeat, so that the others
   * take over on their next round instead of waiting for the Leases to expire.
   */
  async stop(options: { handOver?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    this.#stop.abort();
    await this.#loop;
    await this.#round;
    // handOver false leaves every Lease as a crash would: the others wait for them to expire.
    if (options.handOver === false) {
      this.#fenceUntil = 0;
      return;
    }
    for (const target of this.#held) this.#leaving.add(target);
    while (this.#writing.size > 0) await sleep(50);
    try {
      const leases = await this.#leases.list();
      for (const lease of leases) {
        if (lease.role === 'target' && lease.holder === this.#opts.identity) await this.#release(lease, 'handed over');
      }
      const own = leases.find((l) => l.role === 'member' && l.name === leaseName(this.#opts.group, 'member', this.#opts.member));
      if (own && own.holder === this.#opts.identity) await this.#leases.delete(own.raw);
      this.#log.info('left the shard group: targets handed over', { targets: [...this.#held].sort() });
    } catch (err) {
      this.#log.warn('could not hand every target over; the others take them when the Leases expire', { error: (err as Error).message });
    }
    this.#held.clear();
    this.#fenceUntil = 0;
    this.#report();
  }

  #mayWrite(target: string): boolean {
    return !this.#stopped && this.#held.has(target) && !this.#leaving.has(target) && this.#now() < this.#fenceUntil;
  }

  /** Rounds never overlap: a claim() during a round waits for it and runs the next one. */
  #nextRound(): Promise<void> {
    this.#round = this.#round.then(() => (this.#stopped ? undefined : this.#oneRound())).catch((err: unknown) => {
      this.#log.warn('shard round failed', { error: (err as Error).message, status: statusOf(err) });
    });
    return this.#round;
  }

  async #oneRound(): Promise<void> {
    const listSent = this.#now();
    const leases = await this.#leases.list();
    const now = this.#now();
    for (const lease of leases) this.#observe(lease, now);

    const memberName = leaseName(this.#opts.group, 'member', this.#opts.member);
    const own = leases.find((l) => l.name === memberName);
    const heartbeatSent = this.#now();
    const healthy = await this.#heartbeat(own, now);
    const held = new Set(leases.filter((l) => l.role === 'target' && l.target && l.holder === this.#opts.identity).map((l) => l.target!));
    // The fence closes renewDeadline after the older of the LIST and the heartbeat of this round.
    this.#fenceUntil = healthy ? Math.min(listSent, heartbeatSent) + this.#opts.renewDeadlineMs : 0;

    const byTarget = new Map(leases.filter((l) => l.role === 'target' && l.target).map((l) => [l.target!, l]));
    const targets: ObservedTarget[] = [...new Set([...this.#universe, ...held])].map((key) => {
      const lease = byTarget.get(key);
      return { key, holder: lease?.holder ?? '', changedAt: lease ? this.#seen.get(lease.name)!.at : 0 };
    });
    const plan = planOwnership({
      self: { member: this.#opts.member, identity: this.#opts.identity },
      healthy,
      mode: this.#opts.mode,
      members: leases.filter((l) => l.role === 'member' && l.member).map((l) => ({ member: l.member!, holder: l.holder, changedAt: this.#seen.get(l.name)!.at })),
      targets,
      leaseDurationMs: this.#opts.leaseDurationMs,
      now,
    });
    this.#live = plan.live;
    // Wanted again before a deferred hand-over happened (the members changed back): keep it.
    for (const key of plan.wanted) this.#leaving.delete(key);

    for (const key of plan.release) {
      this.#leaving.add(key);
      // A write stage in flight finishes first; the target goes in a later round.
      if (this.#writing.has(key)) continue;
      const lease = byTarget.get(key)!;
      if (await this.#release(lease, 'handed over')) held.delete(key);
    }
    for (const key of plan.acquire) {
      try {
        await this.#leases.write('target', key, this.#opts.identity, this.#opts.leaseDurationMs, byTarget.get(key)?.raw);
        held.add(key);
        this.#leaving.delete(key);
        this.#opts.onRebalance?.(key, 'taken');
        this.#log.info('took target', { target: key, from: byTarget.get(key)?.holder || undefined });
      } catch (err) {
        if (statusOf(err) === 409) this.#log.debug('another replica took the target first', { target: key });
        else this.#log.warn('could not take target', { target: key, error: (err as Error).message });
      }
    }
    for (const key of this.#held) if (!held.has(key) && !plan.release.includes(key)) this.#opts.onRebalance?.(key, 'lost');
    for (const key of this.#leaving) if (!held.has(key)) this.#leaving.delete(key);
    this.#held = held;

    await this.#collectStaleMembers(leases, now);
    this.#noticePush(leases);
    this.#report();
  }

  async #heartbeat(own: GroupLease | undefined, now: number): Promise<boolean> {
    // Another process with this pod name (a predecessor) holds the heartbeat: wait until it has
    // been silent for a lease duration, as for any Lease.
    if (own && own.holder !== '' && own.holder !== this.#opts.identity && now - this.#seen.get(own.name)!.at <= this.#opts.leaseDurationMs) {
      this.#log.warn('heartbeat Lease held by another process with this pod name; waiting for it to expire', { holder: own.holder });
      return false;
    }
    try {
      await this.#leases.write('member', this.#opts.member, this.#opts.identity, this.#opts.leaseDurationMs, own?.raw);
      return true;
    } catch (err) {
      this.#log.warn('heartbeat failed', { error: (err as Error).message, status: statusOf(err) });
      return false;
    }
  }

  async #release(lease: GroupLease, change: 'handed over'): Promise<boolean> {
    try {
      await this.#leases.write('target', lease.target!, '', this.#opts.leaseDurationMs, lease.raw);
      this.#opts.onRebalance?.(lease.target!, change);
      this.#log.info('handed target over', { target: lease.target });
      return true;
    } catch (err) {
      this.#log.warn('could not hand target over', { target: lease.target, error: (err as Error).message });
      return false;
    }
  }

  async #collectStaleMembers(leases: GroupLease[], now: number): Promise<void> {
    for (const lease of leases) {
      if (lease.role !== 'member' || lease.holder === this.#opts.identity) continue;
      if (now - this.#seen.get(lease.name)!.at <= STALE_MEMBER_FACTOR * this.#opts.leaseDurationMs) continue;
      await this.#leases.delete(lease.raw).catch(() => undefined);
    }
  }

  #noticePush(leases: GroupLease[]): void {
    // The first round only learns where the trigger stands; pushes before it are not new.
    const push = leases.find((l) => l.role === 'push')?.push ?? '';
    if (push === this.#lastPush) return;
    const first = this.#lastPush === undefined;
    this.#lastPush = push;
    if (!first && push !== this.#ownPush) this.#opts.onPush?.(push.split(' ').slice(2).join(' '));
  }

  #observe(lease: Pick<GroupLease, 'name' | 'fingerprint'>, now: number): void {
    const seen = this.#seen.get(lease.name);
    if (!seen || seen.fingerprint !== lease.fingerprint) this.#seen.set(lease.name, { fingerprint: lease.fingerprint, at: now });
  }

  #report(): void {
    const owned = this.owned();
    const text = [...owned].sort().join(',');
    if (text === this.#reported) return;
    this.#reported = text;
    this.#opts.onOwnedChanged?.(owned);
  }
}
