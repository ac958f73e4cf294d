// The per-spec part of a reconcile pass (load → plan → per spec: observe → diff → act → confirm,
// assess beside them → publish) run against in-memory ports: the same stages pass.ts runs, from
// files instead of a Git fetch, with one in-memory target and management cluster instead of API
// servers. Compliance is assessed only when asked (`assess`), over the target's policies and
// `resources`.
import { createLogger } from '../../src/log.ts';
import { ManagementSnapshot } from '../../src/reconcile/management-snapshot.ts';
import { reconcileSpec } from '../../src/reconcile/reconcile-spec.ts';
import type { ConnectedTarget } from '../../src/reconcile/connect-targets.ts';
import type { SpecOutcome } from '../../src/reconcile/spec-outcome.ts';
import { planSpecs, targetKeyOf } from '../../src/reconcile/spec-plan.ts';
import { DEFAULT_REPORT_REFRESH_MS } from '../../src/reconcile/write-if-changed.ts';
import { ServerFormCache } from '../../src/cluster/server-form.ts';
import type { KspecMetrics } from '../../src/server/metrics.ts';
import { loadSpecs } from '../../src/spec/load.ts';
import { oneAtATime } from '../../src/util/one-at-a-time.ts';
import type { InMemoryManagement, InMemoryTarget } from './in-memory-target.ts';
import type { Fence } from '../../src/reconcile/pass.ts';

export const SOURCE = 'https://git.example.com/platform/specs.git#';
export const NAMESPACE = 'kspec-system';

export interface InMemoryPassOptions {
  /** The repository's files at this commit (path → YAML). */
  files: Record<string, string>;
  commit?: string;
  target: InMemoryTarget;
  management: InMemoryManagement;
  /** Where the Git fetch failed: every spec keeps its last good state. */
  fetchError?: string;
  metrics?: KspecMetrics;
  dryRun?: boolean;
  now?: Date;
  reportRefreshMs?: number;
  /** Specs whose target cannot be reached this pass, and why. */
  unreachable?: string;
  /** Assess compliance over the target's resources; default false (no ComplianceReport). */
  assess?: boolean;
  /** Aborted: this replica is shutting down or lost the lease. */
  signal?: AbortSignal;
  /** The ownership fence of a sharded run; default: none. */
  write?: Fence;
}

/** One pass over the specs in `files`, every spec aimed at the one in-memory target. */
export async function inMemoryPass(options: InMemoryPassOptions): Promise<SpecOutcome[]> {
  options.target.startPass();
  options.management.startPass();
  const log = createLogger({ level: 'error', sink: () => undefined });
  const load = loadSpecs(new Map(Object.entries(options.files)), { namespace: NAMESPACE });
  const kspecObjects = await ManagementSnapshot.observe(options.management, log);
  const plans = planSpecs(load, options.commit ?? 'c0ffee0000000000000000000000000000000000', SOURCE, kspecObjects.specs, options.fetchError, { namespace: NAMESPACE });
  const targets = new Map<string, Promise<ConnectedTarget>>();
  for (const plan of plans) {
    const key = targetKeyOf(plan);
    const connected: ConnectedTarget = { key, name: plan.spec.spec.targetClusterRef.name, namespace: plan.namespace, assessInTurn: oneAtATime(), ...(options.unreachable ? { error: options.unreachable } : { port: options.target }) };
    targets.set(key, Promise.resolve(connected));
  }
  const now = options.now ?? new Date('2026-12-01T12:00:00Z');
  const serverForms = new ServerFormCache();
  return Promise.all(plans.map((plan) => reconcileSpec(plan, {
    store: options.management,
    kspecObjects,
    reportRefreshMs: options.reportRefreshMs ?? DEFAULT_REPORT_REFRESH_MS,
    targets,
    dryRun: options.dryRun ?? false,
    serverForms,
    write: options.write ?? ((_target, _stage, fn) => fn()),
    assess: options.assess ?? false,
    keepAllViolations: false,
    now: () => now,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    log,
    ...(options.signal ? { signal: options.signal } : {}),
  })));
}
