import type { ComplianceReport, DriftEvent, EnforcementMode, Remediation, DriftReport, PolicyResult, Violation } from '../api/types.ts';
import type { Drift } from '../drift/detect.ts';
import type { ActionOutcome } from './act.ts';
import type { ConnectedTarget } from './connect-targets.ts';
import type { SpecPlan } from './spec-plan.ts';
import type { PolicyImpact } from '../impact/policy-impact.ts';

export type Stage = 'target' | 'observe' | 'act' | 'confirm' | 'assess' | 'publish';

/** Everything one spec's pass found and did, for the CLI, reports and write-back. */
export interface SpecOutcome {
  plan: SpecPlan;
  cluster: string;
  mode: EnforcementMode;
  /** auto: this pass made the target match; report: it only looked. */
  remediation: Remediation;
  phase: 'Active' | 'Failed';
  /** Drift found before acting, with what was done about each. */
  actions: ActionOutcome[];
  /** Drift still there after acting (equal to the found drift with remediation report). */
  remaining: Drift[];
  inSync: number;
  policyResults: PolicyResult[];
  /** Live resources the assessment covered. */
  resourcesChecked?: number;
  /** Where policyResults came from; `unavailable` when the cluster could not be assessed. */
  complianceSource: 'policyReports' | 'engine' | 'unavailable';
  /** Every standing violation by policy id, as sorted fingerprints: for the metrics. */
  violationFingerprints: Map<string, Uint32Array>;
  /** Every violation by policy id, unbounded, kept only for Git write-back; never for the cluster. */
  fullViolations?: Map<string, Violation[]>;
  /** Informational: why a compliance source was chosen, what could not be assessed. */
  notes: string[];
  compliance?: ComplianceReport;
  drift?: DriftReport;
  /** Spec errors (file:line) and stage failures, one line each. */
  errors: string[];
  failedStage?: Stage;
  target?: ConnectedTarget;
  /** `kspec plan`: what the policies it would write do to the live resources (see src/impact). */
  impact?: PolicyImpact[];
}

/** The drift found in a pass as report events, each with what kspec did about it. */
export function driftEventsOf(outcome: Pick<SpecOutcome, 'actions'>): DriftEvent[] {
  return outcome.actions.map(({ drift, action }) => ({ ...drift.event, action }));
}

/** A spec removed from Git whose policies are all gone: its mirror, reports and metrics go too. */
export function isGone(outcome: Pick<SpecOutcome, 'plan' | 'phase' | 'remaining'>): boolean {
  return Boolean(outcome.plan.retired) && outcome.phase === 'Active' && outcome.remaining.length === 0;
}
