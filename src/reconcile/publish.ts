import type { ClusterSpecification, ClusterTarget, ComplianceReport, Condition, DriftReport } from '../api/types.ts';
import type { KspecStore } from '../cluster/kspec-store.ts';
import { MANAGED_BY, MANAGER, SOURCE_ANNOTATION, SOURCE_COMMIT_ANNOTATION, SOURCE_FILE_ANNOTATION } from '../render/ownership.ts';
import type { SpecPlan } from './spec-plan.ts';
import type { ActionOutcome } from './act.ts';
import type { SpecOutcome, Stage } from './spec-outcome.ts';
import type { SpecContext } from './reconcile-spec.ts';
import { setConditions } from './conditions.ts';
import { conditionsOf } from './spec-conditions.ts';
import { countNewDrift, countNewViolations, newDrift } from './spec-metrics.ts';
import { reportName } from '../report/build-reports.ts';
import { isCleanFromGit } from './spec-plan.ts';
import { withFirstSeen } from '../report/drift-history.ts';
import { specEvents } from './spec-events.ts';

/**
 * Mirrors a spec into the cluster. Only a spec that loaded cleanly updates its mirror, which is
 * what keeps the mirror the last good desired state.
 */
export async function publishMirror(store: KspecStore, plan: SpecPlan): Promise<ClusterSpecification | undefined> {
  await store.ensureNamespace(plan.namespace);
  if (!isCleanFromGit(plan)) {
    return store.get<ClusterSpecification>('ClusterSpecification', plan.namespace, plan.name);
  }
  const { metadata, spec } = plan.spec;
  return store.apply<ClusterSpecification>({
    apiVersion: 'kspec.io/v1alpha1',
    kind: 'ClusterSpecification',
    metadata: {
      name: metadata.name,
      namespace: plan.namespace,
      labels: { ...(metadata.labels ?? {}), [MANAGED_BY]: MANAGER },
      annotations: { ...(metadata.annotations ?? {}), [SOURCE_ANNOTATION]: plan.source, [SOURCE_COMMIT_ANNOTATION]: plan.sourceCommit, [SOURCE_FILE_ANNOTATION]: plan.sourceFile },
    },
    spec,
  });
}

export async function publishStatus(store: KspecStore, mirror: ClusterSpecification, phase: 'Active' | 'Failed' | 'Pending', conditions: Condition[], sourceCommit: string, now: string): Promise<void> {
  await store.applyStatus<ClusterSpecification>({
    ...mirror,
    status: {
      phase,
      observedGeneration: mirror.metadata.generation,
      conditions,
      ...(sourceCommit ? { sourceCommit } : {}),
      lastReconcileTime: now,
    },
  });
}

/**
 * Applies a report and its status: the same object every pass, updated in place. An existing
 * report gets its status first, so a refused status never leaves old events under a new
 * timestamp.
 */
export async function publishReport<T extends ComplianceReport | DriftReport>(store: KspecStore, report: T, exists: boolean): Promise<void> {
  if (exists) {
    await store.applyStatus(report);
    await store.apply(report);
    return;
  }
  await store.apply(report);
  await store.applyStatus(report);
}

/** The spec's Events of this pass: at most one per reason (see spec-events.ts). */
export async function publishEvents(store: KspecStore, mirror: ClusterSpecification, cluster: string, outcomes: ActionOutcome[], fresh: Set<ActionOutcome>): Promise<void> {
  const involved = { kind: 'ClusterSpecification', name: mirror.metadata.name, namespace: mirror.metadata.namespace!, uid: mirror.metadata.uid };
  await Promise.all(specEvents(outcomes, fresh, cluster).map((event) => store.recordEvent({ involved, ...event })));
}

/** Mirrors the ClusterTargets from Git, so a pass whose fetch fails can still reach its clusters. */
export async function publishTargets(store: KspecStore, targets: ClusterTarget[]): Promise<void> {
  for (const target of targets) {
    await store.ensureNamespace(target.metadata.namespace!);
    await store.apply<ClusterTarget>({
      apiVersion: 'kspec.io/v1alpha1',
      kind: 'ClusterTarget',
      metadata: { name: target.metadata.name, namespace: target.metadata.namespace, labels: { ...(target.metadata.labels ?? {}), [MANAGED_BY]: MANAGER } },
      spec: target.spec,
    });
  }
}

/**
 * The publish stage of one spec: the two reports, then mirror and status (which therefore also
 * say whether the reports were published), Events, and the counters of what is new since the
 * previous reports. A retired spec with nothing left is removed instead.
 */
export async function publishOutcome(outcome: SpecOutcome, ctx: SpecContext, now: string, fail: (stage: Stage, err: unknown) => void): Promise<void> {
  const { plan } = outcome;
  if (plan.retired && outcome.phase === 'Active' && outcome.remaining.length === 0) return retire(outcome, ctx);
  const drift = outcome.drift!;
  const previousDrift = await ctx.store.get<DriftReport>('DriftReport', plan.namespace, drift.metadata.name);
  const previousCompliance = outcome.compliance ? await ctx.store.get<ComplianceReport>('ComplianceReport', plan.namespace, outcome.compliance.metadata.name) : undefined;
  drift.status!.driftEvents = withFirstSeen(drift.status!.driftEvents, previousDrift);
  const fresh = newDrift(outcome, previousDrift);
  if (outcome.cluster) {
    try {
      await publishReport(ctx.store, drift, previousDrift !== undefined);
      // Without an assessment the previous ComplianceReport stays: stale beats wrong.
      if (outcome.compliance) await publishReport(ctx.store, outcome.compliance, previousCompliance !== undefined);
    } catch (err) {
      fail('publish', err);
    }
  }
  const mirror = await publishMirror(ctx.store, plan);
  if (mirror) {
    const conditions = setConditions(mirror.status?.conditions, conditionsOf(outcome), now, mirror.metadata.generation);
    await publishStatus(ctx.store, mirror, outcome.phase, conditions, plan.sourceCommit, now);
    await publishEvents(ctx.store, mirror, outcome.cluster, outcome.actions, new Set(fresh));
  }
  countNewDrift(outcome, fresh, ctx.metrics);
  countNewViolations(outcome, previousCompliance, ctx.metrics);
}

/** A spec removed from Git that owns nothing any more: its mirror and reports go too. */
async function retire(outcome: SpecOutcome, ctx: SpecContext): Promise<void> {
  const { plan } = outcome;
  await ctx.store.delete('DriftReport', plan.namespace, reportName(plan.name, outcome.cluster));
  await ctx.store.delete('ComplianceReport', plan.namespace, reportName(plan.name, outcome.cluster));
  await ctx.store.delete('ClusterSpecification', plan.namespace, plan.name);
  ctx.log.info('spec removed from Git: its policies, mirror and reports are gone');
}
