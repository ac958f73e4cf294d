import type { DriftEvent, PolicyResult } from '../api/types.ts';

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

/**
 * Keeps drift events under the budget: unified diffs go first (the field list still says what
 * changed, and Git write-back keeps the diffs), then field values are shortened. Pure.
 */
export function fitDriftToBudget(events: DriftEvent[], budget = REPORT_BUDGET_BYTES): DriftEvent[] {
  const size = (list: DriftEvent[]) => Buffer.byteLength(JSON.stringify(list));
  if (size(events) <= budget) return events;
  const withoutDiffs = events.map(({ diff: _diff, ...event }) => event);
  if (size(withoutDiffs) <= budget) return withoutDiffs;
  const shorten = (value: string | undefined) => (value && value.length > 256 ? `${value.slice(0, 255)}…` : value);
  return withoutDiffs.map((event) => ({
    ...event,
    ...(event.fields ? { fields: event.fields.map((f) => ({ path: f.path, ...(f.desired !== undefined ? { desired: shorten(f.desired) } : {}), ...(f.live !== undefined ? { live: shorten(f.live) } : {}) })) } : {}),
  }));
}
