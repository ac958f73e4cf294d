import type { KubeConfig } from '../cluster/kube-config.ts';
import type { ClusterSpecification } from '../api/types.ts';
import { KspecStore } from '../cluster/kspec-store.ts';
import { fetchSnapshot } from '../source/git-source.ts';
import type { Snapshot, SourceOptions } from '../source/git-source.ts';
import { loadSpecsInTurns, specKey } from '../spec/load.ts';
import type { LoadResult } from '../spec/load.ts';
import type { KspecMetrics } from '../server/metrics.ts';
import type { Logger } from '../log.ts';
import { mirrorsOf, planSpecs, sourceIdentity, targetKeyOf, targetKeyOfSpec, targetsByKey } from './spec-plan.ts';
import type { SpecPlan } from './spec-plan.ts';
import type { TargetOwnership } from '../shard/target-ownership.ts';
import { displayRepo } from '../source/repo-url.ts';
import { reconcileSpec } from './reconcile-spec.ts';
import { publishTargets } from './publish.ts';
import { connectTargets } from './connect-targets.ts';
import type { ConnectedTarget } from './connect-targets.ts';
import { ManagementSnapshot } from './management-snapshot.ts';
import { DEFAULT_REPORT_REFRESH_MS } from './write-if-changed.ts';
import type { TargetBackoff } from './target-backoff.ts';
import { ServerFormCache } from '../cluster/server-form.ts';
import type { TargetCaches } from '../cluster/target-caches.ts';
import type { SpecOutcome } from './spec-outcome.ts';
import type { RenderRules } from '../render/render-rules.ts';
import { effectiveMode } from '../writeback/effective-mode.ts';
import type { GitWriteBackConfig, GitWriteBackResult } from './git-write-back.ts';

export interface PassOptions {
  /** The specs repository; without one, only the specs applied to the cluster are served. */
  source?: SourceOptions;
  /** Serve ClusterSpecifications applied to the cluster (no kspec.io/source); default: when there is no source. */
  serveAppliedSpecs?: boolean;
  /** Move specs that another source owns to this one instead of refusing them (--take-over). */
  takeOver?: boolean;
  /** Namespace of kspec's resources, and of specs that name none. */
  namespace: string;
  /** The cluster holding kspec's own resources; in-cluster targets are this cluster too. */
  management: KubeConfig;
  dryRun: boolean;
  log: Logger;
  metrics?: KspecMetrics;
  now?: () => Date;
  signal?: AbortSignal;
  /** Reuse this snapshot instead of fetching (a pass triggered by a watch event, not a commit). */
  snapshot?: Snapshot;
  /** Kept across passes by `kspec run`, so unreachable targets back off. */
  backoff?: TargetBackoff;
  /** Kept across passes by `kspec run`, so a pass with nothing new in Git makes no dry runs. */
  serverForms?: ServerFormCache;
  /** Kept across passes by `kspec run`: the resources the engine reads, watched instead of listed every pass. */
  caches?: TargetCaches;
  /** Assess resource-level compliance; default true (plan turns it off). */
  assess?: boolean;
  /** What a spec may render, as the operator decided; default: validate rules only. */
  rules?: RenderRules;
  /** How long to wait for a target's API server; default 10 s. */
  targetTimeoutMs?: number;
  /**
   * Sharded runs: the pass works only on the targets this replica owns, and every write stage
   * on a target goes through the ownership fence.
   */
  ownership?: TargetOwnership;
  /** An unchanged report or status is rewritten once it is this old; default 10 minutes. */
  reportRefreshMs?: number;
  /** Write reports and drift pull requests back to Git as the pass's last stage (not with dryRun). */
  writeBack?: GitWriteBackConfig;
}

export interface PassResult {
  commit?: string;
  snapshot?: Snapshot;
  targets: Map<string, ConnectedTarget>;
  fetchError?: string;
  load: LoadResult;
  specs: SpecOutcome[];
  /** True when every stage of every spec succeeded. */
  ok: boolean;
  /** What the write-back stage did, when it ran. */
  writeBack?: GitWriteBackResult;
}

const EMPTY_LOAD: LoadResult = { specs: [], targets: [], errors: [], files: [] };

/**
 * One reconcile pass, as data flows: source → load → plan (render, last good state) → per spec:
 * target → observe → server form → diff → act → confirm (assess beside them) → publish.
 */
export async function reconcilePass(options: PassOptions): Promise<PassResult> {
  const now = options.now ?? (() => new Date());
  const store = new KspecStore(options.management);
  // kspec's own objects are read while Git is fetched and the specs parsed: they do not depend on
  // the commit, and the round trips then cost no time of their own.
  const observingKspecObjects = ManagementSnapshot.observe(store, options.log);

  const { snapshot, fetchError } = options.snapshot ? { snapshot: options.snapshot, fetchError: undefined } : options.source ? await source(options.source, options) : {};
  const log = options.log.child({ commit: snapshot?.commit.slice(0, 12) });
  const load = snapshot ? await loadSpecsInTurns(snapshot.files, { namespace: options.namespace, readErrors: snapshot.errors, ...(options.source?.limits ? { limits: options.source.limits } : {}) }) : EMPTY_LOAD;
  for (const error of load.errors) log.warn('invalid spec document', { file: error.file, line: error.line, field: error.field, error: error.message });
  const kspecObjects = await observingKspecObjects;
  const mayWrite = !options.dryRun && !options.signal?.aborted;
  const sourceId = options.source ? sourceIdentity(displayRepo(options.source.repo), options.source.path) : undefined;
  // Sharded, a replica renders and reconciles only the specs of the targets it owns; the fleet is
  // what this repository and path name (another installation's mirrors are not ours to split).
  const owned = options.ownership ? await options.ownership.claim(fleetTargets(load, mirrorsOf(kspecObjects.specs, sourceId))) : undefined;
  const mine = owned ? ownedOnly(load, kspecObjects.specs, owned) : { load, mirrors: kspecObjects.specs };
  const plans = planSpecs(mine.load, snapshot?.commit ?? '', sourceId, mine.mirrors, fetchError, {
    serveAppliedSpecs: options.serveAppliedSpecs ?? !options.source,
    namespace: options.namespace,
    takeOver: options.takeOver ?? false,
    ...(options.rules ? { rules: options.rules } : {}),
    ...(kspecObjects.specsError ? { clusterSpecsError: kspecObjects.specsError } : {}),
  }).filter((plan) => !owned || owned.has(targetKeyOf(plan)));
  const write: Fence = options.ownership ? (key, stage, fn) => options.ownership!.write(key, stage, fn) : (_key, _stage, fn) => fn();
  if (mayWrite) {
    const targetsFromGit = mine.load.targets.map((t) => t.target);
    await Promise.all(targetsFromGit.map((t) => write(specKey(t.metadata), 'publish target', () => publishTargets(store, [t], kspecObjects)))).catch((err) => {
      options.metrics?.passErrors.inc({ stage: 'publish' });
      log.error('cannot mirror ClusterTargets', { error: (err as Error).message });
    });
  }

  const targets = connectTargets(plans.filter((p) => !p.refusal), {
    store,
    kspecObjects,
    management: options.management,
    fromGit: targetsByKey(load.targets),
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.caches ? { caches: options.caches } : {}),
    timeoutMs: options.targetTimeoutMs ?? 10_000,
    publish: mayWrite,
    write,
    log,
    now,
  });

  const serverForms = options.serverForms ?? new ServerFormCache();
  const writesBack = (plan: SpecPlan) => options.writeBack !== undefined && effectiveMode(options.writeBack.mode, plan.spec.spec.writeBack) !== 'none';
  const specs = await Promise.all(
    plans.map((plan) =>
      reconcileSpec(plan, {
        store,
        kspecObjects,
        reportRefreshMs: options.reportRefreshMs ?? DEFAULT_REPORT_REFRESH_MS,
        targets,
        dryRun: options.dryRun,
        serverForms,
        write,
        assess: options.assess ?? true,
        // Git holds every violation of a spec it writes back; any other spec keeps, per policy,
        // the true count, the report's examples and a fingerprint of each violation.
        keepAllViolations: mayWrite && writesBack(plan),
        ...(options.signal ? { signal: options.signal } : {}),
        now,
        ...(options.metrics ? { metrics: options.metrics } : {}),
        log: log.child({ spec: plan.name, cluster: plan.spec.spec.targetClusterRef.name }),
      }),
    ),
  );
  const ok = !fetchError && load.errors.length === 0 && specs.every((s) => s.phase === 'Active');
  if (ok && !options.dryRun) options.metrics?.lastSuccessfulPass.set(Date.now() / 1000);
  const connected = new Map(await Promise.all([...targets].map(async ([key, target]) => [key, await target] as const)));
  const result = { ...(snapshot ? { commit: snapshot.commit, snapshot } : {}), ...(fetchError ? { fetchError } : {}), targets: connected, load, specs, ok };
  // Loaded only when a spec writes back: Git write-back brings isomorphic-git and octokit, which a
  // pass without it does not need.
  const writeBack = options.writeBack && mayWrite && !options.signal?.aborted && plans.some(writesBack)
    ? await (await import('./git-write-back.ts')).writeBackStage(result, options.writeBack, { ...(options.signal ? { signal: options.signal } : {}), ...(options.metrics ? { metrics: options.metrics } : {}), log })
    : undefined;
  return { ...result, ...(writeBack ? { writeBack } : {}) };
}

/** Runs one write stage on a target: through the ownership fence when sharded. */
export type Fence = <T>(target: string, stage: string, fn: () => Promise<T>) => Promise<T>;

/** Every ClusterTarget the repository and the spec mirrors name: the fleet to split. */
function fleetTargets(load: LoadResult, mirrors: ClusterSpecification[]): string[] {
  const keys = new Set([
    ...load.targets.map((t) => specKey(t.target.metadata)),
    ...[...load.specs.map((s) => s.spec), ...mirrors].map(targetKeyOfSpec),
  ]);
  return [...keys].sort();
}

/** The part of the repository and of the mirrors that concerns the targets this replica owns. */
function ownedOnly(load: LoadResult, mirrors: ClusterSpecification[], owned: Set<string>): { load: LoadResult; mirrors: ClusterSpecification[] } {
  const ours = (s: ClusterSpecification) => owned.has(targetKeyOfSpec(s));
  return {
    load: { ...load, specs: load.specs.filter((s) => ours(s.spec)), targets: load.targets.filter((t) => owned.has(specKey(t.target.metadata))) },
    mirrors: mirrors.filter(ours),
  };
}

async function source(from: SourceOptions, options: PassOptions): Promise<{ snapshot?: Snapshot; fetchError?: string }> {
  const end = options.metrics?.gitFetchDuration.startTimer();
  try {
    const snapshot = await fetchSnapshot(from);
    options.log.info('fetched specs', { commit: snapshot.commit, ref: snapshot.ref, files: snapshot.files.size });
    return { snapshot };
  } catch (err) {
    options.metrics?.gitFetchFailures.inc();
    options.metrics?.passErrors.inc({ stage: 'source' });
    options.log.error('fetch failed; keeping the last good state of every spec', { error: (err as Error).message });
    return { fetchError: (err as Error).message };
  } finally {
    end?.();
  }
}
