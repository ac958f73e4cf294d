import type { ComplianceReport, DriftReport, PolicyResult, Violation } from '../api/types.ts';
import { fingerprint } from '../compliance/violation-tally.ts';
import { driftKey, standingDrift } from '../report/drift-history.ts';
import { POLICY_STATES } from '../server/metric-labels.ts';
import type { ViolationLabel } from '../server/metric-labels.ts';
import type { KspecMetrics } from '../server/metrics.ts';
import { isGone } from './spec-outcome.ts';
import type { SpecOutcome } from './spec-outcome.ts';
import type { ActionOutcome } from './act.ts';
import { DRIFT_TYPES, MODES, REMEDIATIONS } from '../api/schemas.ts';

const fingerprints = (violations: Violation[]) => Uint32Array.from(violations.map(fingerprint)).sort();
const seriesKey = (labels: Record<ViolationLabel, string>) => [labels.cluster, labels.spec, labels.policy, labels.severity].join('\u0000');
const labelsOf = (key: string): Record<ViolationLabel, string> => {
  const [cluster, spec, policy, severity] = key.split('\u0000');
  return { cluster, spec, policy, severity };
};

/**
 * kspec_policy_violations (what stands now) and kspec_policy_violations_total (what appeared),
 * per policy, from the true set of violations rather than the examples a report keeps. A
 * violation counts when it is first seen; the set standing at the last pass is remembered for
 * as long as the process runs, as fingerprints (4 bytes a violation). On the first pass of a
 * process the previous ComplianceReport is the memory: its listed violations where the list was
 * complete, its true total otherwise.
 */
export function countViolations(outcome: SpecOutcome, previous: ComplianceReport | undefined, metrics?: KspecMetrics): void {
  if (!metrics || !outcome.compliance) return;
  const severityOf = new Map(outcome.plan.spec.spec.policies.map((p) => [p.id, p.severity]));
  const current = new Set<string>();
  for (const result of outcome.policyResults) {
    const labels = { cluster: outcome.cluster, spec: outcome.plan.name, policy: result.policyID, severity: result.severity ?? severityOf.get(result.policyID) ?? 'unknown' };
    const key = seriesKey(labels);
    current.add(key);
    const standing = outcome.violationFingerprints.get(result.policyID) ?? fingerprints(result.violations);
    const total = Math.max(standing.length, result.violationTotal ?? 0);
    const counted = metrics.countedViolations.get(key);
    const appeared = counted ? notIn(standing, counted) : appearedSinceReport(standing, total, previous?.status?.policyResults.find((r) => r.policyID === result.policyID));
    metrics.countedViolations.set(key, standing);
    metrics.policyViolationsNow.set(labels, total);
    metrics.policyViolations.inc(labels, appeared);
  }
  forgetPolicies(metrics, outcome.cluster, outcome.plan.name, current);
}

function appearedSinceReport(standing: Uint32Array, total: number, before: PolicyResult | undefined): number {
  if (!before) return total;
  const beforeTotal = before.violationTotal ?? before.violations.length;
  if (before.violations.length < beforeTotal) return Math.max(0, total - beforeTotal);
  return notIn(standing, fingerprints(before.violations));
}

/** How many of the sorted fingerprints `now` are not among the sorted `before` (one merge pass). */
function notIn(now: Uint32Array, before: Uint32Array): number {
  let missing = 0;
  let j = 0;
  for (let i = 0; i < now.length; i++) {
    while (j < before.length && before[j] < now[i]) j++;
    if (j === before.length || before[j] !== now[i]) missing++;
  }
  return missing;
}

/** Drops the violation series of policies a spec no longer has (all of them without `keep`). */
export function forgetPolicies(metrics: KspecMetrics, cluster: string, spec: string, keep = new Set<string>()): void {
  const prefix = `${cluster}\u0000${spec}\u0000`;
  for (const key of [...metrics.countedViolations.keys()]) {
    if (!key.startsWith(prefix) || keep.has(key)) continue;
    metrics.countedViolations.delete(key);
    metrics.policyViolationsNow.remove(labelsOf(key));
  }
}

/** A spec that is gone: its gauges go too, so averages and sums count only what exists. */
export function forgetSpec(metrics: KspecMetrics | undefined, cluster: string, spec: string): void {
  if (!metrics) return;
  forgetPolicies(metrics, cluster, spec);
  metrics.complianceScore.remove({ cluster, spec });
  for (const state of POLICY_STATES) metrics.policies.remove({ cluster, spec, state });
  for (const mode of MODES) for (const remediation of REMEDIATIONS) metrics.specInfo.remove({ cluster, spec, mode, remediation });
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
  // Every type's series exists from the first pass, so rate() sees the first drift as a change.
  for (const type of DRIFT_TYPES) metrics.driftEvents.inc({ cluster: outcome.cluster, spec: outcome.plan.name, type }, fresh.filter(({ drift }) => drift.type === type).length);
}

/** Gauges and the duration histogram of one spec's pass. */
export function recordMetrics(outcome: SpecOutcome, metrics: KspecMetrics | undefined, seconds: number): void {
  if (!metrics || !outcome.cluster) return;
  const labels = { cluster: outcome.cluster, spec: outcome.plan.name };
  metrics.reconciliationDuration.observe(labels, seconds);
  if (isGone(outcome)) return forgetSpec(metrics, outcome.cluster, outcome.plan.name);
  if (outcome.compliance) metrics.complianceScore.set(labels, outcome.compliance.status!.complianceScore);
  const count = (type: string) => outcome.remaining.filter((d) => d.type === type).length;
  metrics.policies.set({ ...labels, state: 'in_sync' }, outcome.inSync);
  for (const mode of MODES) for (const remediation of REMEDIATIONS) metrics.specInfo.remove({ ...labels, mode, remediation });
  metrics.specInfo.set({ ...labels, mode: outcome.mode, remediation: outcome.remediation }, 1);
  for (const state of ['missing', 'modified', 'extra'] as const) metrics.policies.set({ ...labels, state }, count(state));
}
