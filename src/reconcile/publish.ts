import type { ClusterSpecification, ClusterSpecificationStatus, ClusterTarget, ComplianceReport, DriftReport } from '../api/types.ts';
import type { ManagementPort } from '../cluster/management-port.ts';
import { MANAGED_BY, MANAGER, SOURCE_ANNOTATION, SOURCE_COMMIT_ANNOTATION, SOURCE_FILE_ANNOTATION } from '../render/ownership.ts';
import type { SpecPlan } from './spec-plan.ts';
import type { ActionOutcome } from './act.ts';
import { isGone } from './spec-outcome.ts';
import type { SpecOutcome, Stage } from './spec-outcome.ts';
import type { SpecContext } from './reconcile-spec.ts';
import { setConditions } from './conditions.ts';
import { conditionsOf } from './spec-conditions.ts';
import { countNewDrift, countViolations, newDrift } from './spec-metrics.ts';
import { reportName } from '../report/build-reports.ts';
import { isClean } from './spec-plan.ts';
import { withFirstSeen } from '../report/drift-history.ts';
import { withCleanSince } from '../report/clean-since.ts';
import { specEvents } from './spec-events.ts';
import type { ManagementSnapshot } from './management-snapshot.ts';
import { mirrorUnchanged, reportNeedsWrite, statusNeedsWrite } from './write-if-changed.ts';

/**
 * Mirrors a spec into the cluster, when the mirror differs. Only a spec that loaded cleanly from
 * Git updates its mirror, which is what keeps the mirror the last good desired state. A spec
 * applied to the cluster is its own object: kspec only ever writes its status.
 */
export async function publishMirror(store: ManagementPort, plan: SpecPlan, kspecObjects: ManagementSnapshot): Promise<ClusterSpecification | undefined> {
  const live = await kspecObjects.get<ClusterSpecification>('ClusterSpecification', plan.namespace, plan.name);
  if (plan.applied || plan.refusal || !isClean(plan)) return live;
  const { metadata, spec } = plan.spec;
  const desired: ClusterSpecification = {
    apiVersion: 'kspec.io/v1alpha1',
    kind: 'ClusterSpecification',
    metadata: {
      name: metadata.name,
      namespace: plan.namespace,
      labels: { ...(metadata.labels ?? {}), [MANAGED_BY]: MANAGER },
      annotations: { ...(metadata.annotations ?? {}), [SOURCE_ANNOTATION]: plan.source, [SOURCE_COMMIT_ANNOTATION]: plan.sourceCommit, [SOURCE_FILE_ANNOTATION]: plan.sourceFile },
    },
    spec,
  };
  if (mirrorUnchanged(live, desired)) return live;
  return store.apply<ClusterSpecification>(desired);
}

/** Writes the spec's status when it changed (or its lastReconcileTime is older than the refresh). */
export async function publishStatus(store: ManagementPort, mirror: ClusterSpecification, status: ClusterSpecificationStatus, now: Date, refreshMs: number): Promise<void> {
  if (!statusNeedsWrite(mirror.status, status, now, refreshMs)) return;
  await store.applyStatus<ClusterSpecification>({ ...mirror, status });
}

/**
 * Applies a report and its status, when they changed or the report is older than the refresh:
 * the same object every pass, updated in place. An existing report gets its status first, so a
 * refused status never leaves old events under a new timestamp.
 */
export async function publishReport<T extends ComplianceReport | DriftReport>(store: ManagementPort, report: T, live: T | undefined, now: Date, refreshMs: number): Promise<void> {
  if (!reportNeedsWrite(live, report, now, refreshMs)) return;
  if (live) {
    await store.applyStatus(report, live);
    await store.apply(report);
    return;
  }
  await store.apply(report);
  await store.applyStatus(report);
}

/** The spec's Events of this pass: at most one per reason (see spec-events.ts). */
export async function publishEvents(store: ManagementPort, mirror: ClusterSpecification, cluster: string, outcomes: ActionOutcome[], fresh: Set<ActionOutcome>): Promise<void> {
  const involved = { kind: 'ClusterSpecification', name: mirror.metadata.name, namespace: mirror.metadata.namespace!, uid: mirror.metadata.uid };
  await Promise.all(specEvents(outcomes, fresh, cluster).map((event) => store.recordEvent({ involved, ...event })));
}

/** Mirrors the ClusterTargets from Git (those that changed), so a pass whose fetch fails can still reach its clusters. */
export async function publishTargets(store: ManagementPort, targets: ClusterTarget[], kspecObjects: ManagementSnapshot): Promise<void> {
  for (const target of targets) {
    const namespace = target.metadata.namespace!;
    const desired: ClusterTarget = {
      apiVersion: 'kspec.io/v1alpha1',
      kind: 'ClusterTarget',
      metadata: { name: target.metadata.name, namespace, labels: { ...(target.metadata.labels ?? {}), [MANAGED_BY]: MANAGER } },
      spec: target.spec,
    };
    const live = await kspecObjects.get<ClusterTarget>('ClusterTarget', namespace, target.metadata.name);
    if (mirrorUnchanged(live, desired)) continue;
    if (!live && !kspecObjects.hasNamespace(namespace)) await store.ensureNamespace(namespace);
    kspecObjects.remember(await store.apply<ClusterTarget>(desired));
  }
}

/**
 * The publish stage of one spec: the two reports, then mirror and status (which therefore also
 * say whether the reports were published), Events, and the counters of what is new since the
 * previous reports. A retired spec with nothing left is removed instead.
 */
export async function publishOutcome(outcome: SpecOutcome, ctx: SpecContext, now: Date, fail: (stage: Stage, err: unknown) => void): Promise<void> {
  const { plan } = outcome;
  if (plan.refusal) return publishRefusal(outcome, ctx, now);
  if (isGone(outcome)) return retire(outcome, ctx);
  const drift = outcome.drift!;
  const previousDrift = await ctx.kspecObjects.get<DriftReport>('DriftReport', plan.namespace, drift.metadata.name);
  const previousCompliance = outcome.compliance ? await ctx.kspecObjects.get<ComplianceReport>('ComplianceReport', plan.namespace, outcome.compliance.metadata.name) : undefined;
  drift.status!.driftEvents = withFirstSeen(drift.status!.driftEvents, previousDrift);
  if (outcome.compliance) outcome.compliance = withCleanSince(outcome.compliance, previousCompliance);
  const fresh = newDrift(outcome, previousDrift);
  // The first spec of a namespace brings it: the reports, written first, go there too.
  if (!ctx.kspecObjects.hasNamespace(plan.namespace)) await ctx.store.ensureNamespace(plan.namespace);
  if (outcome.cluster) {
    try {
      await publishReport(ctx.store, drift, previousDrift, now, ctx.reportRefreshMs);
      // Without an assessment the previous ComplianceReport stays: stale beats wrong.
      if (outcome.compliance) await publishReport(ctx.store, outcome.compliance, previousCompliance, now, ctx.reportRefreshMs);
    } catch (err) {
      fail('publish', err);
    }
  }
  const mirror = await publishMirror(ctx.store, plan, ctx.kspecObjects);
  if (mirror && plan.takenOverFrom) {
    await ctx.store.recordEvent({ involved: involvedSpec(mirror), type: 'Normal', reason: 'SourceTakenOver', message: `taken over from ${plan.takenOverFrom} by ${plan.source} (--take-over)` });
    ctx.log.info('spec taken over', { from: plan.takenOverFrom, to: plan.source });
  }
  if (mirror) {
    const conditions = setConditions(mirror.status?.conditions, conditionsOf(outcome), now.toISOString(), mirror.metadata.generation);
    const status: ClusterSpecificationStatus = {
      phase: outcome.phase,
      observedGeneration: mirror.metadata.generation,
      conditions,
      ...(plan.sourceCommit ? { sourceCommit: plan.sourceCommit } : {}),
      lastReconcileTime: now.toISOString(),
    };
    await publishStatus(ctx.store, mirror, status, now, ctx.reportRefreshMs);
    await publishEvents(ctx.store, mirror, outcome.cluster, outcome.actions, new Set(fresh));
  }
  countNewDrift(outcome, fresh, ctx.metrics);
  countViolations(outcome, previousCompliance, ctx.metrics);
}

/**
 * A refused spec belongs to someone else (or to no one this installation serves): only its Ready
 * condition says why, keeping the rest of its status as its owner wrote it, and a Warning Event
 * is recorded when the refusal is new. No mirror, no reports, no policies.
 */
async function publishRefusal(outcome: SpecOutcome, ctx: SpecContext, now: Date): Promise<void> {
  const refusal = outcome.plan.refusal!;
  const current = await ctx.kspecObjects.get<ClusterSpecification>('ClusterSpecification', outcome.plan.namespace, outcome.plan.name);
  if (!current) return;
  const previous = current.status?.conditions ?? [];
  const ready = previous.find((c) => c.type === 'Ready');
  const others = previous.filter((c) => c.type !== 'Ready').map(({ type, status, reason, message }) => ({ type, status, reason, message }));
  const conditions = setConditions(previous, [{ type: 'Ready', status: 'False', reason: refusal.reason, message: refusal.message }, ...others], now.toISOString(), current.metadata.generation);
  const status: ClusterSpecificationStatus = {
    ...current.status,
    phase: 'Failed',
    observedGeneration: current.metadata.generation,
    conditions,
    lastReconcileTime: now.toISOString(),
  };
  await publishStatus(ctx.store, current, status, now, ctx.reportRefreshMs);
  if (ready?.reason !== refusal.reason || ready.message !== refusal.message) {
    await ctx.store.recordEvent({ involved: involvedSpec(current), type: 'Warning', reason: refusal.reason, message: refusal.message });
  }
}

const involvedSpec = (spec: ClusterSpecification) => ({ kind: 'ClusterSpecification', name: spec.metadata.name, namespace: spec.metadata.namespace!, uid: spec.metadata.uid });

/** A spec removed from Git that owns nothing any more: its mirror and reports go too. */
async function retire(outcome: SpecOutcome, ctx: SpecContext): Promise<void> {
  const { plan } = outcome;
  await ctx.store.delete('DriftReport', plan.namespace, reportName(plan.name, outcome.cluster));
  await ctx.store.delete('ComplianceReport', plan.namespace, reportName(plan.name, outcome.cluster));
  await ctx.store.delete('ClusterSpecification', plan.namespace, plan.name);
  ctx.log.info('spec removed from Git: its policies, mirror and reports are gone');
}
