import { API_VERSION } from '../api/types.ts';
import type { ComplianceReport, ComplianceReportStatus, DriftEvent, DriftReport, Finding, PolicyResult } from '../api/types.ts';
import { MANAGED_BY, MANAGER, SPEC_LABEL } from '../render/ownership.ts';
import { score } from '../compliance/score.ts';
import { fitDriftToBudget, fitToBudget } from './report-budget.ts';

export const CLUSTER_LABEL = 'kspec.io/cluster';

export interface ReportContext {
  specName: string;
  namespace: string;
  cluster: string;
  sourceCommit: string;
  timestamp: string;
}

/** One report of each kind per spec and cluster, named after both so each pass updates it in place. */
export function reportName(specName: string, cluster: string): string {
  return `${specName}-${cluster}`.slice(0, 253);
}

function metadata(ctx: ReportContext) {
  return {
    name: reportName(ctx.specName, ctx.cluster),
    namespace: ctx.namespace,
    labels: { [MANAGED_BY]: MANAGER, [SPEC_LABEL]: ctx.specName, [CLUSTER_LABEL]: ctx.cluster },
  };
}

function refs(ctx: ReportContext) {
  // A spec applied to the cluster has no commit.
  return { clusterRef: { name: ctx.cluster }, specRef: { name: ctx.specName }, timestamp: ctx.timestamp, ...(ctx.sourceCommit ? { sourceCommit: ctx.sourceCommit } : {}) };
}

/**
 * The drift found in a pass (each event with what kspec did about it) and how many policies
 * still differ after acting. The counts stay true when the event list is trimmed to the budget.
 */
export function buildDriftReport(ctx: ReportContext, events: DriftEvent[], remaining: number): DriftReport {
  const count = (type: DriftEvent['type']) => events.filter((e) => e.type === type).length;
  return {
    apiVersion: API_VERSION,
    kind: 'DriftReport',
    metadata: metadata(ctx),
    spec: refs(ctx),
    status: { driftDetected: events.length > 0, missing: count('missing'), modified: count('modified'), extra: count('extra'), remaining, driftEvents: fitDriftToBudget(events) },
  };
}

export function buildComplianceReport(ctx: ReportContext, results: PolicyResult[], source: string, findings: Finding[] = [], resourcesChecked?: number): ComplianceReport {
  const status: ComplianceReportStatus = { ...score(results), source, policyResults: fitToBudget(results), ...(findings.length ? { findings } : {}), ...(resourcesChecked !== undefined ? { resourcesChecked } : {}) };
  return { apiVersion: API_VERSION, kind: 'ComplianceReport', metadata: metadata(ctx), spec: refs(ctx), status };
}
