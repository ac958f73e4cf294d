import type { ManagementPort } from '../cluster/management-port.ts';
import type { ManagementSnapshot } from './management-snapshot.ts';
import type { TargetPort } from '../cluster/target-port.ts';
import type { ComplianceReads } from '../compliance/compliance-reads.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import type { ServerFormCache } from '../cluster/server-form.ts';
import { buildComplianceReport, buildDriftReport } from '../report/build-reports.ts';
import { formatSpecError } from '../spec/errors.ts';
import type { KspecMetrics } from '../server/metrics.ts';
import type { Logger } from '../log.ts';
import { act } from './act.ts';
import { logActions } from './action-log.ts';
import { publishOutcome } from './publish.ts';
import type { SpecPlan } from './spec-plan.ts';
import type { ConnectedTarget } from './connect-targets.ts';
import type { SpecOutcome, Stage } from './spec-outcome.ts';
import { driftEventsOf } from './spec-outcome.ts';
import { recordMetrics } from './spec-metrics.ts';
import { isClean, targetKeyOf } from './spec-plan.ts';
import { liveAfterActions, observeDrift, withoutServerFormNote } from './observe-drift.ts';
import type { Fence } from './pass.ts';

export interface SpecContext {
  /** Where the spec's mirror, status, reports and Events are published: the management cluster. */
  store: ManagementPort;
  /** kspec's own objects as the pass found them, to write only what changed. */
  kspecObjects: ManagementSnapshot;
  /** An unchanged report or status is rewritten (for its timestamp) once it is this old. */
  reportRefreshMs: number;
  /** Target clusters being connected for this pass, by namespace/name. */
  targets: Map<string, Promise<ConnectedTarget>>;
  dryRun: boolean;
  /** The stored form of desired policies, learned by dry run: kept across passes by `kspec run`. */
  serverForms: ServerFormCache;
  /** Runs a write stage on a target (through the ownership fence when sharded). */
  write: Fence;
  /** Assess resource-level compliance (plan skips it: it only shows drift). */
  assess: boolean;
  /** Keep every violation whole for Git write-back (otherwise the counts and a few examples). */
  keepAllViolations: boolean;
  now: () => Date;
  metrics?: KspecMetrics;
  log: Logger;
  signal?: AbortSignal;
}

type Fail = (stage: Stage, err: unknown, alreadyLogged?: boolean) => void;

/** One spec against its cluster: target → observe → server form → diff → act → confirm, with assess beside them → publish. */
export async function reconcileSpec(plan: SpecPlan, ctx: SpecContext): Promise<SpecOutcome> {
  const started = Date.now();
  const now = ctx.now();
  const cluster = plan.spec.spec.targetClusterRef.name;
  const outcome: SpecOutcome = {
    plan, cluster, mode: plan.spec.spec.enforcementMode, remediation: plan.spec.spec.remediation ?? 'auto', phase: plan.errors.length ? 'Failed' : 'Active',
    actions: [], remaining: [], inSync: 0, policyResults: [], complianceSource: 'unavailable', violationFingerprints: new Map(),
    errors: plan.errors.map(formatSpecError), notes: [],
  };
  /** Marks the spec failed at `stage`, and logs why unless the stage's own log line already did. */
  const fail: Fail = (stage, err, alreadyLogged = false) => {
    outcome.phase = 'Failed';
    outcome.failedStage ??= stage;
    outcome.errors.push(`${stage}: ${(err as Error).message}`);
    ctx.metrics?.passErrors.inc({ stage });
    if (!alreadyLogged) ctx.log.error(`${stage} failed`, { error: (err as Error).message });
  };

  // Refused (another source owns it, or nobody does): no target is touched, only the status says why.
  if (plan.refusal) {
    outcome.phase = 'Failed';
    outcome.errors.push(plan.refusal.message);
    ctx.log.warn('spec not served', { reason: plan.refusal.reason, error: plan.refusal.message });
    if (!ctx.dryRun && !ctx.signal?.aborted) await publishOutcome(outcome, ctx, now, fail).catch((err) => fail('publish', err));
    return outcome;
  }

  const target = await ctx.targets.get(targetKeyOf(plan));
  outcome.target = target;
  if (target?.error) fail('target', new Error(target.error));
  if (target?.port && plan.desiredFrom !== 'none') {
    const port = target.port;
    // Assessment reads the live resources and the desired policies, not what act changes: it
    // runs while the writes are in flight, and a pass that creates a thousand policies is not
    // held up by compiling and evaluating them afterwards.
    await Promise.all([
      observeActConfirm(plan, port, outcome, ctx, now.toISOString(), fail),
      ctx.assess ? target.assessInTurn(() => assess(plan, port.observe(), outcome, ctx, now, fail)) : undefined,
    ]);
  }

  const reportCtx = { specName: plan.name, namespace: plan.namespace, cluster: cluster || 'unknown', sourceCommit: plan.sourceCommit, timestamp: now.toISOString() };
  outcome.drift = buildDriftReport(reportCtx, driftEventsOf(outcome), outcome.remaining.length);
  if (outcome.complianceSource !== 'unavailable') {
    const findings = target?.versionMismatch ? [{ type: 'VersionMismatch', message: target.versionMismatch }] : [];
    outcome.compliance = buildComplianceReport(reportCtx, outcome.policyResults, outcome.complianceSource, findings, outcome.resourcesChecked);
  }

  // A replica that lost the lease leaves publishing to the new leader, whose view is newer.
  if (!ctx.dryRun && !ctx.signal?.aborted) {
    try {
      await ctx.write(targetKeyOf(plan), 'publish', () => publishOutcome(outcome, ctx, now, fail));
    } catch (err) {
      fail('publish', err);
    }
    recordMetrics(outcome, ctx.metrics, (Date.now() - started) / 1000);
  }
  return outcome;
}

/**
 * The spec's share of the target's observation, diff, act (unless report-only), and confirm from what
 * the API server answered to the writes.
 */
async function observeActConfirm(plan: SpecPlan, target: TargetPort, outcome: SpecOutcome, ctx: SpecContext, now: string, fail: Fail): Promise<void> {
  const compare = async (live: KyvernoPolicy[]) => {
    const observed = await observeDrift(plan, live, target, ctx.serverForms, target.id, now);
    const note = withoutServerFormNote(observed.unavailable);
    if (note && !outcome.notes.includes(note)) {
      outcome.notes.push(note);
      ctx.log.warn('comparing without the server form', { policies: observed.unavailable.length, reason: observed.unavailable[0].reason });
    }
    return observed.found;
  };
  let live: KyvernoPolicy[];
  let found;
  try {
    live = await target.observe().policiesOf(plan);
    found = await compare(live);
  } catch (err) {
    return fail('observe', err);
  }
  outcome.remaining = found.drifts;
  outcome.inSync = found.inSync.length;
  // Shutting down, or no longer the leader: another replica acts now, so this one must not.
  if (ctx.signal?.aborted && outcome.remediation === 'auto' && found.drifts.length > 0) {
    outcome.actions = found.drifts.map((drift) => ({ drift, action: 'none' }));
    return fail('act', new Error('not acting: this replica is shutting down or lost the lease'));
  }
  const acting = () => act(found.drifts, target, { remediate: outcome.remediation === 'auto', mayPrune: isClean(plan), dryRun: ctx.dryRun });
  try {
    outcome.actions = outcome.remediation === 'auto' && found.drifts.length > 0 && !ctx.dryRun ? await ctx.write(targetKeyOf(plan), 'act', acting) : await acting();
  } catch (err) {
    outcome.actions = found.drifts.map((drift) => ({ drift, action: 'none' }));
    return fail('act', err);
  }
  logActions(outcome.actions, plan.sourceCommit, ctx.log);
  // logActions warned about each refused write, with its policy.
  for (const failed of outcome.actions.filter((a) => a.action === 'failed')) fail('act', new Error(failed.error), true);
  if (!outcome.actions.some((a) => a.action === 'created' || a.action === 'applied' || a.action === 'deleted')) return;
  for (const { drift, action, stored } of outcome.actions) {
    if (action === 'created' && stored && drift.type === 'missing') ctx.serverForms.rememberCreated(target.id, drift.desired.object, stored);
  }
  try {
    const after = await compare(liveAfterActions(live, outcome.actions));
    outcome.remaining = after.drifts;
    outcome.inSync = after.inSync.length;
  } catch (err) {
    fail('confirm', err);
  }
}

/** Resource-level compliance from Kyverno's policy reports or kspec's engine, as the spec asks. */
async function assess(plan: SpecPlan, observation: ComplianceReads, outcome: SpecOutcome, ctx: SpecContext, now: Date, fail: Fail): Promise<void> {
  try {
    // Loaded when a pass first assesses, beside the writes: the engine and its CEL library are
    // not on the way to the first create.
    const { assessCompliance } = await import('../compliance/assess.ts');
    const assessment = await assessCompliance({
      source: plan.spec.spec.complianceSource ?? 'auto',
      desired: plan.desired,
      specPolicies: plan.spec.spec.policies,
      target: observation,
      keepAllViolations: ctx.keepAllViolations,
      now,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    outcome.policyResults = assessment.results;
    outcome.violationFingerprints = assessment.fingerprints;
    if (assessment.fullViolations) outcome.fullViolations = assessment.fullViolations;
    outcome.complianceSource = assessment.source;
    outcome.resourcesChecked = assessment.resourcesChecked;
    outcome.notes.push(...assessment.notes, ...assessment.errors);
    for (const error of assessment.errors) ctx.log.warn('compliance incomplete', { error });
  } catch (err) {
    fail('assess', err);
  }
}


