// What `kspec run` does (the operator's loop); its flags and help are in run.ts.
import cron from 'node-cron';
import { oneOf, parseFlags, UsageError } from '../command.ts';
import { optionalSourceOptions, reportRefreshMs, servingOptions, renderRules } from '../common-flags.ts';
import { kubeConfig } from '../management-cluster.ts';
import { reconcilePass } from '../../reconcile/pass.ts';
import { PassScheduler } from '../../reconcile/scheduler.ts';
import { LeaderElector, defaultIdentity, podName } from '../../cluster/leader-election.ts';
import { ShardCoordinator } from '../../shard/shard-coordinator.ts';
import { fixedOwnership, type TargetOwnership } from '../../shard/target-ownership.ts';
import { parseShard, staticShardOf, type StaticShard } from '../../shard/static-shard.ts';
import { TargetPassAges } from '../../shard/target-pass-ages.ts';
import { forgetMovedTargets } from '../../shard/forget-moved-targets.ts';
import { installShutdown } from '../../reconcile/shutdown.ts';
import { startHttpServer } from '../../server/http-server.ts';
import { createMetrics } from '../../server/metrics.ts';
import { registerSecret, type LogLevel } from '../../log.ts';
import { commandLogger } from '../log-flags.ts';
import { writeBackConfig } from '../write-back-flags.ts';
import { TargetBackoff } from '../../reconcile/target-backoff.ts';
import { ServerFormCache } from '../../cluster/server-form.ts';
import { TargetWatches } from '../../reconcile/target-watches.ts';
import { TargetCaches } from '../../cluster/target-caches.ts';
import { passLogLevel } from '../../reconcile/pass-log-level.ts';
import { AppliedSpecWatch } from '../../reconcile/applied-spec-watch.ts';
import { collectGarbage } from '../../util/collect-garbage.ts';
import type { Snapshot } from '../../source/git-source.ts';
import { SHARDING, flagSpec } from './run.ts';
import type { CommandIO } from '../command.ts';

export async function runOperator(argv: string[], io: CommandIO): Promise<number> {
  const { flags } = parseFlags(argv, flagSpec, io.env);
  if (!cron.validate(flags.schedule!)) throw new UsageError(`--schedule ${JSON.stringify(flags.schedule)} is not a valid cron expression`);
  const lease = {
    leaseDurationMs: seconds('--lease-duration', flags['lease-duration']!),
    renewDeadlineMs: seconds('--renew-deadline', flags['renew-deadline']!),
    retryPeriodMs: seconds('--retry-period', flags['retry-period']!),
  };
  if (!(lease.retryPeriodMs < lease.renewDeadlineMs && lease.renewDeadlineMs < lease.leaseDurationMs)) {
    throw new UsageError('leader election needs --retry-period < --renew-deadline < --lease-duration, so a leader gives up before its Lease can expire for others');
  }
  const sharding = shardingMode(flags.sharding!, flags.shard, Boolean(flags['leader-elect']), io.env);
  const log = commandLogger(flags, io);
  const source = optionalSourceOptions(flags, io.env);
  const rules = renderRules(flags);
  const management = kubeConfig(flags, io.env);
  const reportRefresh = reportRefreshMs(flags['report-refresh']);
  const passAges = new TargetPassAges();
  const metrics = createMetrics({ oldestTargetPassAge: () => passAges.oldestAgeSeconds(Date.now()) });
  const gitConfig = await writeBackConfig(flags, source, io.env, log);
  const backoff = new TargetBackoff();
  const serverForms = new ServerFormCache();
  const caches = new TargetCaches(log);
  let lastSnapshot: Snapshot | undefined;
  const shutdown = installShutdown({ logger: log });
  registerSecret(io.env.KSPEC_WEBHOOK_SECRET);
  registerSecret(io.env.KSPEC_WEBHOOK_TOKEN);

  // Sharded, every replica works (on its own targets); otherwise only the leader does.
  let leading = !flags['leader-elect'] || sharding !== 'none';
  // Without leader election this process does the work, so it is the leader.
  metrics.leader.set(!flags['leader-elect'] ? 1 : 0);
  const member = podName(io.env);
  const coordinator = sharding !== 'none' && flags['leader-elect']
    ? new ShardCoordinator({
        kubeConfig: management,
        namespace: flags.namespace!,
        group: flags['lease-name']!,
        member,
        identity: defaultIdentity(io.env),
        mode: sharding,
        ...lease,
        logger: log,
        onOwnedChanged: (owned) => {
          metrics.shardOwnedTargets.set({ replica: member }, owned.size);
          trigger('shard ownership changed');
        },
        onPush: (reason) => trigger(`${reason} (received by another replica)`),
        onRebalance: (_target, change) => metrics.shardRebalances.inc({ change: change.replace(' ', '_') }),
      })
    : undefined;
  const ownership: TargetOwnership | undefined = coordinator ?? (typeof sharding === 'object' ? fixedOwnership((t) => staticShardOf(t, sharding.count) === sharding.index) : undefined);
  // Aborted when this replica stops leading: a pass in flight then acts no further.
  let leadership: AbortSignal | undefined;
  let firstPassDone = false;
  /** One pass and what follows it; the fields to log its end with, or undefined when it did not run. */
  const onePass = async (reasons: string[]): Promise<{ level: LogLevel; fields: Record<string, unknown> } | undefined> => {
    if (!leading || shutdown.isShuttingDown()) return undefined;
    // A pass woken only by the watch re-checks the cluster against the commit it already has.
    const onlyWatch = reasons.every((r) => r.startsWith('watch')) && lastSnapshot !== undefined;
    log[passLogLevel(reasons)]('pass started', { reasons });
    const signal = leadership ? AbortSignal.any([shutdown.signal, leadership]) : shutdown.signal;
    const result = await shutdown.track(
      reconcilePass({ ...(source ? { source } : {}), ...servingOptions(flags), namespace: flags.namespace!, rules, management, dryRun: flags['dry-run'], reportRefreshMs: reportRefresh, log, metrics, signal, backoff, serverForms, caches, ...(ownership ? { ownership } : {}), ...(onlyWatch ? { snapshot: lastSnapshot } : {}),
        // Git is written by the leader only, and not for passes that only re-checked the cluster.
        ...(gitConfig && !onlyWatch ? { writeBack: gitConfig } : {}) }),
    );
    if (result.snapshot) lastSnapshot = result.snapshot;
    passAges.own(result.targets.keys(), Date.now());
    passAges.passed([...result.targets.values()].filter((t) => !t.error).map((t) => t.key), Date.now());
    if (ownership) await forgetMovedTargets(metrics, new Set([...result.targets.values()].map((t) => t.name)));
    if (coordinator) metrics.shardKnownTargets.set({ replica: member }, coordinator.known());
    firstPassDone = true;
    watches.sync(result);
    caches.sweep();
    return { level: passLogLevel(reasons, result), fields: { ok: result.ok, commit: result.commit, specs: result.specs.length } };
  };
  const scheduler = new PassScheduler(async (reasons) => {
    const finished = await onePass(reasons);
    if (!finished) return;
    // The pass's objects are unreachable once onePass returned: the process sits at what it
    // keeps between passes (watched lists, the snapshot) until the next one.
    await collectGarbage();
    log[finished.level]('pass finished', finished.fields);
  });
  const trigger = (reason: string) => void scheduler.trigger(reason).catch((err) => log.error('pass crashed', { error: (err as Error).message }));
  const watches = new TargetWatches(trigger, log);

  shutdown.addHook('watches', () => {
    watches.stop();
    caches.stop();
  });
  const server = await startHttpServer({
    listen: flags.listen!,
    metricsRegistry: metrics.registry,
    // Ready once this replica is either serving passes or standing by for the Lease.
    isReady: () => !shutdown.isShuttingDown() && (firstPassDone || !leading),
    onPush: (event) => {
      const reason = `push ${event.ref ?? ''} ${event.after ?? ''}`.trim();
      trigger(reason);
      // The push may change any target: the owners of the others run a pass too.
      coordinator?.announcePush(reason).catch((err) => log.warn('cannot pass the push on to the other replicas', { error: (err as Error).message }));
    },
    webhook: {
      // A push to another branch of the repository triggers nothing.
      servedRef: () => flags.branch ?? (lastSnapshot?.ref === 'working-tree' ? undefined : lastSnapshot?.ref),
      ...(io.env.KSPEC_WEBHOOK_SECRET ? { githubSecret: io.env.KSPEC_WEBHOOK_SECRET } : {}),
      ...(io.env.KSPEC_WEBHOOK_TOKEN ? { token: io.env.KSPEC_WEBHOOK_TOKEN } : {}),
    },
    logger: log,
  });
  shutdown.addHook('http server', () => server.close());
  log.info('listening', { port: server.port, schedule: flags.schedule });

  // Started once the address is taken: a port in use ends the command before anything runs.
  // Specs applied to the cluster: served (no --repo, or --cluster-specs) or told they are not.
  const appliedSpecs = new AppliedSpecWatch(management, flags.namespace!, trigger, log);
  appliedSpecs.start();
  shutdown.addHook('spec watch', () => appliedSpecs.stop());

  const task = cron.schedule(flags.schedule!, () => trigger('schedule'));
  shutdown.addHook('scheduler', async () => {
    await task.stop();
    await scheduler.idle();
  });

  if (coordinator) {
    coordinator.start();
    shutdown.addHook('shard leases', () => coordinator.stop());
    trigger('start');
  } else if (flags['leader-elect']) {
    const elector = new LeaderElector({
      kubeConfig: management,
      namespace: flags.namespace!,
      name: flags['lease-name']!,
      ...lease,
      logger: log,
      onStartedLeading: (signal) => {
        leading = true;
        leadership = signal;
        metrics.leader.set(1);
        signal.addEventListener('abort', () => { leading = false; metrics.leader.set(0); });
        trigger('became leader');
      },
    });
    void elector.run(shutdown.signal);
    shutdown.addHook('lease', () => elector.release());
  } else {
    trigger('start');
  }
  await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve()));
  return 0;
}


/** --sharding and --shard, checked together: auto needs the Leases of --leader-elect. */
function shardingMode(flag: string, shard: string | undefined, leaderElect: boolean, env: NodeJS.ProcessEnv): 'none' | 'auto' | StaticShard {
  const mode = oneOf('--sharding', flag, SHARDING);
  if (mode !== 'static' && shard !== undefined) throw new UsageError('--shard N/M goes with --sharding static');
  if (mode === 'auto' && !leaderElect) throw new UsageError('--sharding auto needs --leader-elect: replicas find each other and hold their targets through Leases');
  if (mode !== 'static') return mode;
  if (shard === undefined) throw new UsageError('--sharding static needs --shard N/M (this replica is shard N of M; ordinal/M takes N from a StatefulSet pod name)');
  try {
    return parseShard(shard, podName(env));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} takes a number of seconds, not ${JSON.stringify(value)}`);
  return n * 1000;
}
