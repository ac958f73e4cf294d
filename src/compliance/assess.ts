// Compliance of one spec on one target, from Kyverno's policy reports or kspec's own engine:
// `complianceSource` auto (policy reports when present and fresh, the engine otherwise),
// policyReports or engine. Produces one PolicyResult per spec policy with at most
// MAX_VIOLATIONS_PER_POLICY violations and the true total, a fingerprint of every violation for
// the metrics and, when asked, the full lists for write-back (see violation-tally.ts).
import type { ComplianceSource, PolicyDefinition, PolicyResult, Violation } from '../api/types.ts';
import { ViolationTally } from './violation-tally.ts';
import type { DesiredPolicy } from '../render/desired-policy.ts';
import { policyKey } from '../render/desired-policy.ts';
import { evaluateLive } from './engine-source.ts';
import type { EngineSourceStats, ResourceFilters } from './engine-source.ts';
import type { ComplianceReads } from './compliance-reads.ts';
import { readPolicyReports } from './policy-reports.ts';
import type { PolicyFreshness } from './policy-reports.ts';

export type { Finding, Unassessed } from './violation-tally.ts';
export { MAX_MESSAGE_LENGTH, MAX_VIOLATIONS_PER_POLICY } from './violation-tally.ts';

export interface AssessInput {
  source: ComplianceSource;
  desired: DesiredPolicy[];
  specPolicies: PolicyDefinition[];
  /** The target as the pass observes it (or objects in memory): all the assessment reads. */
  target: ComplianceReads;
  now: Date;
  signal?: AbortSignal;
  /** LIST page size for resources and reports; default 500. */
  pageSize?: number;
  /** How old policy reports may be and still count as fresh; default 90. */
  maxReportAgeMinutes?: number;
  /** What the engine's background scan leaves out; default Kyverno's default resourceFilters. */
  resourceFilters?: ResourceFilters;
  /** Violations kept per PolicyResult; default MAX_VIOLATIONS_PER_POLICY. */
  maxViolations?: number;
  /** Keep every violation whole in `fullViolations` (Git write-back); default false. */
  keepAllViolations?: boolean;
}

export interface Assessment {
  source: 'policyReports' | 'engine';
  results: PolicyResult[];
  /** Every standing violation of each spec policy, as sorted fingerprints (for the metrics). */
  fingerprints: Map<string, Uint32Array>;
  /** Every violation by spec policy id, unbounded, when `keepAllViolations`: for Git write-back. */
  fullViolations?: Map<string, Violation[]>;
  /** Problems that made results incomplete (a kind not listable, a policy not compilable, ...). */
  errors: string[];
  /** Informational: why auto chose its source, policies or rules not scanned, wildcard kinds. */
  notes: string[];
  /** Engine figures, when the engine ran. */
  stats?: EngineSourceStats;
  /** Live resources the results cover: those a policy of the spec applied to, or those the policy reports name. */
  resourcesChecked: number;
  /** Per rendered policy, when policy reports were read. */
  freshness?: PolicyFreshness[];
}

export async function assessCompliance(input: AssessInput): Promise<Assessment> {
  const notes: string[] = [];
  const errors: string[] = [];
  let freshness: PolicyFreshness[] | undefined;
  const tally = new ViolationTally({ ...(input.maxViolations !== undefined ? { examples: input.maxViolations } : {}), keepAll: input.keepAllViolations ?? false });

  if (input.source === 'policyReports' || input.source === 'auto') {
    let reports: Awaited<ReturnType<typeof readPolicyReports>> | undefined;
    try {
      reports = await readPolicyReports({ target: input.target, desired: input.desired, now: input.now, maxAgeMinutes: input.maxReportAgeMinutes, pageSize: input.pageSize, signal: input.signal, skipFreshnessWithoutResults: input.source === 'auto' });
    } catch (err) {
      if (input.signal?.aborted) throw err;
      const message = `policy reports could not be read: ${(err as Error).message}`;
      if (input.source === 'policyReports') errors.push(message);
      else notes.push(message);
    }
    freshness = reports?.freshness;
    if (input.source === 'policyReports' || reports?.fresh) {
      if (reports) {
        errors.push(...reports.errors);
        for (const f of reports.freshness) {
          if (!f.installed && reports.available) tally.unassessed(f.policyId, { resource: f.policy, message: 'not installed, so Kyverno reports nothing for it' });
          else if (!f.fresh) notes.push(`${f.policy}: ${f.reason}`);
        }
      }
      if (!reports?.available) {
        for (const d of input.desired) tally.unassessed(d.policyId, { resource: policyKey(d.object), message: 'no policy reports to read' });
      }
      if (reports) tally.addFindings(reports.findings);
      notes.push(input.source === 'auto' ? 'auto: policy reports are present and fresh' : 'policy reports, as the spec asks');
      return { source: 'policyReports', ...tally.results(input.specPolicies, input.desired), errors, notes, freshness, resourcesChecked: reports?.resources ?? 0 };
    }
    if (reports) {
      const stale = reports.freshness.find((f) => !f.fresh);
      notes.push(
        !reports.available ? 'auto: no policy report API is served; using the engine'
          : reports.errors.length ? `auto: policy reports could not all be read (${reports.errors[0]}); using the engine`
          : reports.resultCount === 0 ? 'auto: no policy report results for these policies; using the engine'
          : `auto: policy reports are not fresh (${stale?.policy}: ${stale?.reason}); using the engine`,
      );
    }
  }

  const live = await evaluateLive({ target: input.target, desired: input.desired, tally, pageSize: input.pageSize, resourceFilters: input.resourceFilters, signal: input.signal });
  errors.push(...live.errors);
  notes.push(...live.notes);
  return { source: 'engine', ...tally.results(input.specPolicies, input.desired), errors, notes, stats: live.stats, resourcesChecked: live.stats.applied, ...(freshness ? { freshness } : {}) };
}

