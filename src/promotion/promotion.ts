// When a monitor-mode spec has earned enforce: every policy free of violations on its target for
// the promotion period, by the evidence of its ComplianceReport. Pure: the report, the spec and
// the clock are passed in. Nothing here switches anything; a promotion is only ever proposed.
import type { ComplianceReport, EnforcementMode, Remediation, Severity } from '../api/types.ts';

/** Default --promote-after: a week clean. */
export const DEFAULT_PROMOTE_AFTER_MS = 7 * 24 * 3600 * 1000;

export interface PromotionCandidate {
  mode: EnforcementMode;
  remediation: Remediation;
  /** The file in Git that defines the spec; absent for a spec applied to the cluster. */
  specFile?: string;
  /** This pass's report (with cleanSince); absent when the pass could not assess the target. */
  compliance?: ComplianceReport;
}

export interface PromotionEvidence {
  cleanSince: string;
  /** How long it has been clean at `now`, in ms. */
  cleanForMs: number;
  resourcesChecked?: number;
  /** When the last pass assessed the target, and at which commit. */
  lastPass: string;
  sourceCommit?: string;
  source?: string;
  policies: { policyID: string; severity?: Severity }[];
}

export type PromotionDecision =
  /** Open or update the promotion pull request with this evidence. */
  | { action: 'propose'; evidence: PromotionEvidence }
  /** No promotion: close the pull request if one is open, saying why. */
  | { action: 'withdraw'; reason: string }
  /** Nothing new is known (the target was not assessed): leave everything as it is. */
  | { action: 'keep' };

export function decidePromotion(candidate: PromotionCandidate, promoteAfterMs: number, now: Date): PromotionDecision {
  if (candidate.mode !== 'monitor') return { action: 'withdraw', reason: `the spec is in ${candidate.mode} mode already` };
  if (candidate.remediation !== 'auto') return { action: 'withdraw', reason: 'the spec is report-only: kspec does not install its policies, so enforce would change nothing' };
  if (!candidate.specFile) return { action: 'withdraw', reason: 'the spec is not defined in Git' };
  const status = candidate.compliance?.status;
  if (!candidate.compliance || !status) return { action: 'keep' };
  if (status.policyResults.length === 0) return { action: 'withdraw', reason: 'the spec has no policies' };
  const violating = status.policyResults.filter((r) => r.status !== 'compliant');
  if (violating.length > 0 || !status.cleanSince) {
    const named = violating.slice(0, 3).map((r) => `${r.policyID} (${r.violationTotal ?? r.violations.length} violation${(r.violationTotal ?? r.violations.length) === 1 ? '' : 's'}${r.violations[0] ? `, e.g. ${r.violations[0].namespace ? `${r.violations[0].namespace}/` : ''}${r.violations[0].resource}` : ''})`);
    return { action: 'withdraw', reason: `a violation appeared on ${candidate.compliance.spec.timestamp}: ${named.join(', ') || 'the policies are not all compliant'}` };
  }
  const cleanForMs = now.getTime() - Date.parse(status.cleanSince);
  if (cleanForMs < promoteAfterMs) return { action: 'withdraw', reason: `clean only since ${status.cleanSince}, less than the promotion period of ${formatPeriod(promoteAfterMs)}` };
  return {
    action: 'propose',
    evidence: {
      cleanSince: status.cleanSince,
      cleanForMs,
      ...(status.resourcesChecked !== undefined ? { resourcesChecked: status.resourcesChecked } : {}),
      lastPass: candidate.compliance.spec.timestamp,
      ...(candidate.compliance.spec.sourceCommit ? { sourceCommit: candidate.compliance.spec.sourceCommit } : {}),
      ...(status.source ? { source: status.source } : {}),
      policies: status.policyResults.map((r) => ({ policyID: r.policyID, ...(r.severity ? { severity: r.severity } : {}) })),
    },
  };
}

/** `7d`, `36h`, `90m`: the largest whole unit. */
export function formatPeriod(ms: number): string {
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  const [unit, size] = units.find(([, size]) => ms >= size) ?? ['s', 1000];
  return `${Math.floor(ms / size)}${unit}`;
}

/**
 * --promote-after: a duration such as `7d`, `36h`, `1d12h`, `90m`, or `never` to open no
 * promotion pull requests. Returns ms, or undefined for never; throws on anything else.
 */
export function parsePromoteAfter(text: string): number | undefined {
  if (text === 'never') return undefined;
  const sizes: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  const parts = [...text.matchAll(/(\d+)([dhms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`--promote-after takes a duration such as 7d, 36h or 1d12h, or never; not ${JSON.stringify(text)}`);
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * sizes[unit], 0);
}
