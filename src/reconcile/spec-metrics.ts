import type { ComplianceReport, DriftReport, PolicyResult } from '../api/types.ts';
import { driftKey, standingDrift } from '../report/drift-history.ts';
import type { KspecMetrics } from '../server/metrics.ts';
import { DRIFT_TYPES } from '../server/metrics.ts';
import type { SpecOutcome } from './spec-outcome.ts';
import type { ActionOutcome } from './act.ts';
import { MODES, REMEDIATIONS } from '../api/schemas.ts';

/** Counts violations not already in the previous report, so a standing violation counts once. */
export function countNewViolations(outcome: SpecOutcome, previous: ComplianceReport | undefined, metrics?: KspecMetrics): void {
  if (!metrics || !outcome.cluster) return;
  // The series exists at 0 from the first pass, so that increase() sees the first violation.
  metrics.policyViolations.inc({ cluster: outcome.cluster, spec: outcome.plan.name }, 0);
  if (!outcome.compliance) return;
  const keys = (results: PolicyResult[]) => results.flatMap((r) => r.violations.map((v) => `${r.policyID}/${v.namespace ?? ''}/${v.resource}/${v.message}`));
  const before = new Set(keys(previous?.status?.policyResults ?? []));
  const fresh = keys(outcome.policyResults).filter((k) => !before.has(k)).length;
  metrics.policyViolations.inc({ cluster: outcome.cluster, spec: outcome.plan.name }, fresh);
}

/**
 * Drift found in this pass that was not already standing after the previous pass. Standing drift
 * (a report-only spec that stays drifted) is new once, so it is counted and announced once;
 * drift that kspec fixed and that comes back is new again.
 */
export function newDrift(outcome: SpecOutcome, previous: DriftReport | undefined): ActionOutcome[] {
  const standing = standingDrift(previous);
  return outcome.actions.filter(({ drift }) => !standing.has(driftKey(drift.event)));
}

export function countNewDrift(outcome: SpecOutcome, fresh: ActionOutcome[], metrics?: KspecMetrics): void {
  if (!metrics || !outcome.cluster) return;
  // Every drift type's series exists at 0 from the first pass, so that increase() and alerts
  // count the first drift (a series that appears at 1 has no increase).
  for (const type of DRIFT_TYPES) metrics.driftEvents.inc({ cluster: outcome.cluster, spec: outcome.plan.name, type }, 0);
  for (const { drift } of fresh) metrics?.driftEvents.inc({ cluster: outcome.cluster, spec: outcome.plan.name, type: drift.type });
}

/** Gauges and the duration histogram of one spec's pass. */
export function recordMetrics(outcome: SpecOutcome, metrics: KspecMetrics | undefined, seconds: number): void {
  if (!metrics || !outcome.cluster) return;
  const labels = { cluster: outcome.cluster, spec: outcome.plan.name };
  metrics.reconciliationDuration.observe(labels, seconds);
  if (outcome.compliance) metrics.complianceScore.set(labels, outcome.compliance.status!.complianceScore);
  const count = (type: string) => outcome.remaining.filter((d) => d.type === type).length;
  metrics.policies.set({ ...labels, state: 'in_sync' }, outcome.inSync);
  for (const mode of MODES) for (const remediation of REMEDIATIONS) metrics.specInfo.remove({ ...labels, mode, remediation });
  metrics.specInfo.set({ ...labels, mode: outcome.mode, remediation: outcome.remediation }, 1);
  for (const state of ['missing', 'modified', 'extra'] as const) metrics.policies.set({ ...labels, state }, count(state));
}
