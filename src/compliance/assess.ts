// Compliance of one spec on one target, from Kyverno's policy reports or kspec's own engine:
// `complianceSource` auto (policy reports when present and fresh, the engine otherwise),
// policyReports or engine. Produces one PolicyResult per spec policy with at most
// MAX_VIOLATIONS_PER_POLICY violations and the true total, plus the full lists for write-back.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ComplianceSource, PolicyDefinition, PolicyResult, Violation } from '../api/types.ts';
import type { DesiredPolicy } from '../render/desired-policy.ts';
import { policyKey } from '../render/desired-policy.ts';
import { evaluateLive } from './engine-source.ts';
import type { EngineSourceStats, ResourceFilters, SharedReads } from './engine-source.ts';
import { readPolicyReports } from './policy-reports.ts';
import type { PolicyFreshness } from './policy-reports.ts';

/** A rendered policy that could not be assessed, and why. */
export interface Unassessed {
  /** `ClusterPolicy/name` or `Policy/namespace/name`. */
  resource: string;
  message: string;
}

/** One failing (fail or error) result of a rendered policy's rule on one resource. */
export interface Finding {
  policyId: string;
  /** Name of the Kyverno policy. */
  policy: string;
  rule: string;
  result: 'fail' | 'error';
  kind: string;
  name: string;
  namespace?: string;
  message: string;
}

export interface AssessInput {
  source: ComplianceSource;
  desired: DesiredPolicy[];
  specPolicies: PolicyDefinition[];
  kc: KubeConfig;
  /** LISTs shared with the other specs on this target in this pass. */
  reads?: SharedReads;
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
}

export interface Assessment {
  source: 'policyReports' | 'engine';
  results: PolicyResult[];
  /** Every violation by spec policy id, unbounded: for Git write-back, not for the cluster. */
  fullViolations: Map<string, Violation[]>;
  /** Problems that made results incomplete (a kind not listable, a policy not compilable, ...). */
  errors: string[];
  /** Informational: why auto chose its source, policies or rules not scanned, wildcard kinds. */
  notes: string[];
  /** Engine figures, when the engine ran. */
  stats?: EngineSourceStats;
  /** Live resources the results cover: those the engine evaluated, or those the policy reports name. */
  resourcesChecked: number;
  /** Per rendered policy, when policy reports were read. */
  freshness?: PolicyFreshness[];
}

/** Violations kept in a report per policy; the true total is recorded beside them. */
export const MAX_VIOLATIONS_PER_POLICY = 50;

/** Longest message kept on one violation, so that a report stays small. */
export const MAX_MESSAGE_LENGTH = 1024;

export async function assessCompliance(input: AssessInput): Promise<Assessment> {
  const notes: string[] = [];
  const errors: string[] = [];
  let freshness: PolicyFreshness[] | undefined;

  if (input.source === 'policyReports' || input.source === 'auto') {
    let reports: Awaited<ReturnType<typeof readPolicyReports>> | undefined;
    try {
      reports = await readPolicyReports({ kc: input.kc, ...(input.reads ? { reads: input.reads } : {}), desired: input.desired, now: input.now, maxAgeMinutes: input.maxReportAgeMinutes, pageSize: input.pageSize, signal: input.signal });
    } catch (err) {
      if (input.signal?.aborted) throw err;
      const message = `policy reports could not be read: ${(err as Error).message}`;
      if (input.source === 'policyReports') errors.push(message);
      else notes.push(message);
    }
    freshness = reports?.freshness;
    if (input.source === 'policyReports' || reports?.fresh) {
      const unevaluable = new Map<string, Unassessed[]>();
      if (reports) {
        errors.push(...reports.errors);
        for (const f of reports.freshness) {
          if (!f.installed && reports.available) add(unevaluable, f.policyId, { resource: f.policy, message: 'not installed, so Kyverno reports nothing for it' });
          else if (!f.fresh) notes.push(`${f.policy}: ${f.reason}`);
        }
      }
      if (!reports?.available) {
        for (const d of input.desired) add(unevaluable, d.policyId, { resource: policyKey(d.object), message: 'no policy reports to read' });
      }
      notes.push(input.source === 'auto' ? 'auto: policy reports are present and fresh' : 'policy reports, as the spec asks');
      return { source: 'policyReports', ...toPolicyResults(input, reports?.findings ?? new Map(), unevaluable), errors, notes, freshness, resourcesChecked: reports?.resources ?? 0 };
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

  const live = await evaluateLive({ kc: input.kc, ...(input.reads ? { reads: input.reads } : {}), desired: input.desired, pageSize: input.pageSize, resourceFilters: input.resourceFilters, signal: input.signal });
  errors.push(...live.errors);
  notes.push(...live.notes);
  return { source: 'engine', ...toPolicyResults(input, live.findings, live.unevaluable), errors, notes, stats: live.stats, resourcesChecked: live.stats.resources, ...(freshness ? { freshness } : {}) };
}

function add<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

/**
 * Findings → one PolicyResult per spec policy. A resource is one violation however many rules
 * it fails (their messages joined); a rendered policy that could not be assessed and a check that
 * was not rendered are violations of their policy too, since nothing says they hold.
 */
export function toPolicyResults(
  input: Pick<AssessInput, 'specPolicies' | 'desired' | 'maxViolations'>,
  findings: Map<string, Finding[]>,
  unevaluable: Map<string, Unassessed[]>,
): { results: PolicyResult[]; fullViolations: Map<string, Violation[]> } {
  const max = input.maxViolations ?? MAX_VIOLATIONS_PER_POLICY;
  const fullViolations = new Map<string, Violation[]>();
  const results = input.specPolicies.map((policy): PolicyResult => {
    const byResource = new Map<string, { namespace?: string; resource: string; messages: string[] }>();
    for (const f of findings.get(policy.id) ?? []) {
      const resource = `${f.kind}/${f.name}`;
      const key = `${f.namespace ?? ''}\u0000${resource}`;
      const slot = byResource.get(key) ?? { ...(f.namespace ? { namespace: f.namespace } : {}), resource, messages: [] };
      const text = `${f.policy}/${f.rule}: ${f.result === 'error' ? 'error: ' : ''}${f.message.trim()}`;
      if (!slot.messages.includes(text)) slot.messages.push(text);
      byResource.set(key, slot);
    }
    const violations: Violation[] = [];
    const rendered = new Set(input.desired.filter((d) => d.policyId === policy.id).map((d) => d.checkId));
    for (const check of policy.checks) {
      if (!rendered.has(check.id)) violations.push({ resource: `check/${check.id}`, message: `check ${check.id} was not rendered, so it was not assessed` });
    }
    for (const u of unevaluable.get(policy.id) ?? []) violations.push({ resource: u.resource, message: truncate(u.message) });
    const sorted = [...byResource.values()].sort((a, b) => (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.resource.localeCompare(b.resource));
    for (const v of sorted) violations.push({ ...(v.namespace ? { namespace: v.namespace } : {}), resource: v.resource, message: truncate(v.messages.join('; ')) });
    fullViolations.set(policy.id, violations);
    return {
      policyID: policy.id,
      status: violations.length === 0 ? 'compliant' : 'violation',
      severity: policy.severity,
      violations: violations.slice(0, max),
      violationTotal: violations.length,
    };
  });
  return { results, fullViolations };
}

function truncate(s: string): string {
  return s.length <= MAX_MESSAGE_LENGTH ? s : `${s.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}
