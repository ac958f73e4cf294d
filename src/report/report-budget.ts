import type { PolicyResult } from '../api/types.ts';

/**
 * etcd refuses objects over 1.5 MiB. A ComplianceReport keeps its policy results under this
 * budget, leaving room for metadata, managed fields and the other status fields.
 */
export const REPORT_BUDGET_BYTES = 512 * 1024;

/**
 * Trims the listed violations, largest lists first, until the results fit the budget. Totals
 * (violationTotal) stay true; the full lists go to Git write-back. Pure.
 */
export function fitToBudget(results: PolicyResult[], budget = REPORT_BUDGET_BYTES): PolicyResult[] {
  const fitted = results.map((r) => ({ ...r, violations: [...r.violations], violationTotal: r.violationTotal ?? r.violations.length }));
  const size = () => Buffer.byteLength(JSON.stringify(fitted));
  while (size() > budget) {
    const largest = fitted.reduce((a, b) => (b.violations.length > a.violations.length ? b : a));
    if (largest.violations.length === 0) break;
    largest.violations.length = Math.floor(largest.violations.length / 2);
  }
  return fitted;
}
