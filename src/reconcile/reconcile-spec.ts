import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterSpecification, DriftEvent, PolicyResult, Violation } from '../api/types.ts';
import type { KspecStore } from '../cluster/kspec-store.ts';
import { PolicyClient } from '../cluster/policy-client.ts';
import { detectDrift } from '../drift/detect.ts';
import type { Drift } from '../drift/detect.ts';
import { ownedBySpecSelector } from '../render/ownership.ts';
import { assessCompliance } from '../compliance/assess.ts';
import { buildComplianceReport, buildDriftReport, reportName } from '../report/build-reports.ts';
import type { ComplianceReport, DriftReport } from '../api/types.ts';
import { formatSpecError } from '../spec/errors.ts';
import type { KspecMetrics } from '../server/metrics.ts';
import type { Logger } from '../log.ts';
import { act } from './act.ts';
import type { ActionOutcome } from './act.ts';
import { setConditions } from './conditions.ts';
import type { ConditionInput } from './conditions.ts';
import { publishEvents, publishMirror, publishReport, publishStatus } from './publish.ts';
import type { SpecPlan } from './spec-plan.ts';
import type { ConnectedTarget } from './connect-targets.ts';

export type Stage = 'target' | 'observe' | 'act' | 'confirm' | 'assess' | 'publish';

/** Everything one spec's pass found and did, for the CLI, reports and write-back. */
export interface SpecOutcome {
  plan: SpecPlan;
  cluster: string;
  mode: 'monitor' | 'enforce';
  phase: 'Active' | 'Failed';
  /** Drift found before acting, with what was done about each. */
  actions: ActionOutcome[];
  /** Drift still there after acting (equal to the found drift in monitor mode). */
  remaining: Drift[];
  inSync: number;
  policyResults: PolicyResult[];
  /** Where policyResults came from; `unavailable` when the cluster could not be assessed. */
  complianceSource: 'policyReports' | 'engine' | 'unavailable';
  /** Every violation by policy id, unbounded: for Git write-back, never for the cluster. */
  fullViolations: Map<string, Violation[]>;
  /** Informational: why a compliance source was chosen, what could not be assessed. */
  notes: string[];
  compliance?: ComplianceReport;
  drift?: DriftReport;
  /** Spec errors (file:line) and stage failures, one line each. */
  errors: string[];
  failedStage?: Stage;
  target?: ConnectedTarget;
}

export interface SpecContext {
  store: KspecStore;
  /** Target clusters being connected for this pass, by namespace/name. */
  targets: Map<string, Promise<ConnectedTarget>>;
  dryRun: boolean;
  /** Assess resource-level compliance (plan skips it: it only shows drift). */
  assess: boolean;
  now: () => Date;
  metrics?: KspecMetrics;
  log: Logger;
  signal?: AbortSignal;
}

/** One spec against its cluster: target → observe → diff → act → confirm → assess → publish. */
export async function reconcileSpec(plan: SpecPlan, ctx: SpecContext): Promise<SpecOutcome> {
  const started = Date.now();
  const now = ctx.now();
  const cluster = plan.spec.spec.targetClusterRef.name;
  const outcome: SpecOutcome = {
    plan, cluster, mode: plan.spec.spec.enforcementMode, phase: plan.errors.length ? 'Failed' : 'Active',
    actions: [], remaining: [], inSync: 0, policyResults: [], complianceSource: 'unavailable', fullViolations: new Map(),
    errors: plan.errors.map(formatSpecError), notes: [],
  };
  const fail = (stage: Stage, err: unknown) => {
    outcome.phase = 'Failed';
    outcome.failedStage ??= stage;
    outcome.errors.push(`${stage}: ${(err as Error).message}`);
    ctx.metrics?.passErrors.inc({ stage });
    ctx.log.error(`${stage} failed`, { error: (err as Error).message });
  };

  const target = await ctx.targets.get(`${plan.namespace}/${cluster}`);
  outcome.target = target;
  if (target?.error) fail('target', new Error(target.error));
  if (target?.resolved && plan.desiredFrom !== 'none') {
    const policies = new PolicyClient(target.resolved.kc);
    await observeActConfirm(plan, policies, outcome, ctx, now.toISOString(), fail);
    if (ctx.assess) await assess(plan, target.resolved.kc, outcome, ctx, now, fail);
  }

  const reportCtx = { specName: plan.name, namespace: plan.namespace, cluster: cluster || 'unknown', sourceCommit: plan.sourceCommit, timestamp: now.toISOString() };
  outcome.drift = buildDriftReport(reportCtx, outcome.actions.map(({ drift, action }) => ({ ...drift.event, action })));
  if (outcome.complianceSource !== 'unavailable') {
    const findings = target?.versionMismatch ? [{ type: 'VersionMismatch', message: target.versionMismatch }] : [];
    outcome.compliance = buildComplianceReport(reportCtx, outcome.policyResults, outcome.complianceSource, findings);
  }

  // A replica that lost the lease leaves publishing to the new leader, whose view is newer.
  if (!ctx.dryRun && !ctx.signal?.aborted) {
    try {
      await publish(outcome, ctx, now.toISOString());
    } catch (err) {
      fail('publish', err);
    }
    recordMetrics(outcome, ctx.metrics, (Date.now() - started) / 1000);
  }
  return outcome;
}

/** Observe the spec's policies, diff, act (enforce only), and observe again to confirm. */
async function observeActConfirm(plan: SpecPlan, policies: PolicyClient, outcome: SpecOutcome, ctx: SpecContext, now: string, fail: (stage: Stage, err: unknown) => void): Promise<void> {
  const selector = ownedBySpecSelector(plan);
  let found;
  try {
    found = detectDrift(plan.desired, await policies.list(selector), now);
  } catch (err) {
    return fail('observe', err);
  }
  outcome.remaining = found.drifts;
  outcome.inSync = found.inSync.length;
  // Shutting down, or no longer the leader: another replica acts now, so this one must not.
  if (ctx.signal?.aborted && outcome.mode === 'enforce' && found.drifts.length > 0) {
    outcome.actions = found.drifts.map((drift) => ({ drift, action: 'none' }));
    return fail('act', new Error('not acting: this replica is shutting down or lost the lease'));
  }
  outcome.actions = await act(found.drifts, policies, {
    enforce: outcome.mode === 'enforce',
    mayPrune: plan.desiredFrom === 'git' && plan.errors.length === 0,
    dryRun: ctx.dryRun,
  });
  for (const failed of outcome.actions.filter((a) => a.action === 'failed')) fail('act', new Error(failed.error));
  if (!outcome.actions.some((a) => a.action === 'created' || a.action === 'applied' || a.action === 'deleted')) return;
  try {
    const after = detectDrift(plan.desired, await policies.list(selector), now);
    outcome.remaining = after.drifts;
    outcome.inSync = after.inSync.length;
  } catch (err) {
    fail('confirm', err);
  }
}

/** Resource-level compliance from Kyverno's policy reports or kspec's engine, as the spec asks. */
async function assess(plan: SpecPlan, kc: KubeConfig, outcome: SpecOutcome, ctx: SpecContext, now: Date, fail: (stage: Stage, err: unknown) => void): Promise<void> {
  try {
    const assessment = await assessCompliance({
      source: plan.spec.spec.complianceSource ?? 'auto',
      desired: plan.desired,
      specPolicies: plan.spec.spec.policies,
      kc,
      now,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    outcome.policyResults = assessment.results;
    outcome.fullViolations = assessment.fullViolations;
    outcome.complianceSource = assessment.source;
    outcome.notes.push(...assessment.notes, ...assessment.errors);
    for (const error of assessment.errors) ctx.log.warn('compliance incomplete', { error });
  } catch (err) {
    fail('assess', err);
  }
}

async function publish(outcome: SpecOutcome, ctx: SpecContext, now: string): Promise<void> {
  const { plan } = outcome;
  if (plan.retired && outcome.phase === 'Active' && outcome.remaining.length === 0) return retire(outcome, ctx);
  const previousDrift = await ctx.store.get<DriftReport>('DriftReport', plan.namespace, outcome.drift!.metadata.name);
  const previousCompliance = outcome.compliance ? await ctx.store.get<ComplianceReport>('ComplianceReport', plan.namespace, outcome.compliance.metadata.name) : undefined;
  const mirror = await publishMirror(ctx.store, plan);
  if (mirror) {
    const conditions = setConditions(mirror.status?.conditions, conditionsOf(outcome), now, mirror.metadata.generation);
    await publishStatus(ctx.store, mirror, outcome.phase, conditions, plan.sourceCommit, now);
    await publishEvents(ctx.store, mirror, outcome.cluster, outcome.actions);
  }
  if (outcome.cluster) {
    await publishReport(ctx.store, outcome.drift!);
    // Without an assessment the previous ComplianceReport stays: stale beats wrong.
    if (outcome.compliance) await publishReport(ctx.store, outcome.compliance);
  }
  countNewDrift(outcome, previousDrift, ctx.metrics);
  countNewViolations(outcome, previousCompliance, ctx.metrics);
}

/** Counts violations not already in the previous report, so a standing violation counts once. */
function countNewViolations(outcome: SpecOutcome, previous: ComplianceReport | undefined, metrics?: KspecMetrics): void {
  if (!metrics || !outcome.compliance) return;
  const keys = (results: PolicyResult[]) => results.flatMap((r) => r.violations.map((v) => `${r.policyID}/${v.namespace ?? ''}/${v.resource}/${v.message}`));
  const before = new Set(keys(previous?.status?.policyResults ?? []));
  const fresh = keys(outcome.policyResults).filter((k) => !before.has(k)).length;
  metrics.policyViolations.inc({ cluster: outcome.cluster, spec: outcome.plan.name }, fresh);
}

/** A spec removed from Git that owns nothing any more: its mirror and reports go too. */
async function retire(outcome: SpecOutcome, ctx: SpecContext): Promise<void> {
  const { plan } = outcome;
  await ctx.store.delete('DriftReport', plan.namespace, reportName(plan.name, outcome.cluster));
  await ctx.store.delete('ComplianceReport', plan.namespace, reportName(plan.name, outcome.cluster));
  await ctx.store.delete('ClusterSpecification', plan.namespace, plan.name);
  ctx.log.info('spec removed from Git: its policies, mirror and reports are gone');
}

function conditionsOf(outcome: SpecOutcome): ConditionInput[] {
  const found = outcome.actions.length;
  const remaining = outcome.remaining.length;
  const ready: ConditionInput = outcome.plan.retired
    ? { type: 'Ready', status: 'False', reason: 'RemovedFromGit', message: `removed from Git at ${outcome.plan.sourceCommit.slice(0, 12)}; ${outcome.remaining.length} policies still carry its labels${outcome.mode === 'monitor' ? ' (monitor mode deletes nothing)' : ''}` }
    : outcome.phase === 'Active'
    ? { type: 'Ready', status: 'True', reason: 'Reconciled', message: `${outcome.inSync} policies in sync on ${outcome.cluster}` }
    : {
        type: 'Ready', status: 'False',
        reason: outcome.plan.errors.length ? (outcome.plan.desiredFrom === 'last-good' ? 'InvalidSpecLastGoodKept' : 'InvalidSpec') : `${capitalize(outcome.failedStage ?? 'reconcile')}Failed`,
        message: outcome.errors.slice(0, 5).join('; ').slice(0, 2000),
      };
  const synced: ConditionInput = remaining === 0
    ? { type: 'Synced', status: 'True', reason: 'InSync', message: 'the cluster matches the spec' }
    : { type: 'Synced', status: 'False', reason: outcome.mode === 'monitor' ? 'MonitorOnly' : 'DriftRemaining', message: `${remaining} policies differ from the spec` };
  const drifted: ConditionInput = found === 0
    ? { type: 'Drifted', status: 'False', reason: 'NoDrift', message: 'no drift detected in the last pass' }
    : { type: 'Drifted', status: 'True', reason: 'DriftDetected', message: summarize(outcome) };
  return [ready, synced, drifted];
}

function summarize(outcome: SpecOutcome): string {
  const count = (type: string) => outcome.actions.filter((a) => a.drift.type === type).length;
  return `${count('missing')} missing, ${count('modified')} modified, ${count('extra')} extra`;
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);

function countNewDrift(outcome: SpecOutcome, previous: DriftReport | undefined, metrics?: KspecMetrics): void {
  if (!metrics) return;
  const key = (e: DriftEvent) => `${e.type}/${e.resourceKind}/${e.resourceNamespace ?? ''}/${e.resourceName}`;
  const before = new Set((previous?.status?.driftEvents ?? []).map(key));
  for (const { drift } of outcome.actions) {
    if (!before.has(key(drift.event))) metrics.driftEvents.inc({ cluster: outcome.cluster, spec: outcome.plan.name, type: drift.type });
  }
}

function recordMetrics(outcome: SpecOutcome, metrics: KspecMetrics | undefined, seconds: number): void {
  if (!metrics || !outcome.cluster) return;
  const labels = { cluster: outcome.cluster, spec: outcome.plan.name };
  metrics.reconciliationDuration.observe(labels, seconds);
  if (outcome.compliance) metrics.complianceScore.set(labels, outcome.compliance.status!.complianceScore);
  const count = (type: string) => outcome.remaining.filter((d) => d.type === type).length;
  metrics.policies.set({ ...labels, state: 'in_sync' }, outcome.inSync);
  for (const state of ['missing', 'modified', 'extra'] as const) metrics.policies.set({ ...labels, state }, count(state));
}

export type { ClusterSpecification };
