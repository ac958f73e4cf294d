import type { ComplianceReport } from '../api/types.ts';

/**
 * The report with `status.cleanSince`: carried over from the previous report while every policy
 * stays free of violations, set to this pass's time when a clean run starts, and absent while any
 * policy has a violation. A clean run restarts when the spec gains or loses a policy, since the
 * new set of policies has only been clean since then. Pure.
 */
export function withCleanSince(report: ComplianceReport, previous: ComplianceReport | undefined): ComplianceReport {
  if (!report.status) return report;
  const { cleanSince: _stale, ...status } = report.status;
  if (status.violationCount > 0 || status.policyResults.some((r) => r.status !== 'compliant')) return { ...report, status };
  const before = previous?.status;
  const carried = before?.cleanSince && samePolicies(before.policyResults, status.policyResults) ? before.cleanSince : report.spec.timestamp;
  return { ...report, status: { ...status, cleanSince: carried } };
}

const policyIds = (results: { policyID: string }[]) => results.map((r) => r.policyID).sort().join('\n');
const samePolicies = (a: { policyID: string }[], b: { policyID: string }[]) => policyIds(a) === policyIds(b);
