import type { PolicyResult, Severity } from '../api/types.ts';

/** Weights of the severity-weighted score: a critical policy counts ten times a low one. */
export const SEVERITY_WEIGHTS: Record<Severity, number> = { critical: 10, high: 5, medium: 2, low: 1 };

export interface Scores {
  totalPolicies: number;
  compliantPolicies: number;
  violationCount: number;
  /** compliantPolicies / totalPolicies x 100, as in the seed API; 100 when there are no policies. */
  complianceScore: number;
  /** Sum of the weights of compliant policies / sum of all weights x 100. */
  weightedScore: number;
}

export function score(results: PolicyResult[]): Scores {
  const total = results.length;
  const compliant = results.filter((r) => r.status === 'compliant').length;
  const weight = (r: PolicyResult) => SEVERITY_WEIGHTS[r.severity ?? 'medium'];
  const allWeight = results.reduce((sum, r) => sum + weight(r), 0);
  const compliantWeight = results.filter((r) => r.status === 'compliant').reduce((sum, r) => sum + weight(r), 0);
  return {
    totalPolicies: total,
    compliantPolicies: compliant,
    violationCount: results.reduce((sum, r) => sum + (r.violationTotal ?? r.violations.length), 0),
    complianceScore: total === 0 ? 100 : round(compliant / total * 100),
    weightedScore: allWeight === 0 ? 100 : round(compliantWeight / allWeight * 100),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
