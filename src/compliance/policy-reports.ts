// Compliance from Kyverno's own reports: wgpolicyk8s.io/v1alpha2 PolicyReport and
// ClusterPolicyReport, and openreports.io/v1alpha1 Report and ClusterReport when discovery shows
// that API. Only results of the rendered policies count: `policy` is the policy's name, or
// `<namespace>/<name>` for a namespaced Policy (Kyverno's convention).
//
// Results: fail and error are violations. warn is NOT a violation: Kyverno emits warn for
// policies annotated `policies.kyverno.io/scored: "false"`, which are meant not to count against
// compliance. pass and skip are not violations.
//
// One result per policy, rule and resource. When one resource has several results for the same
// policy and rule — an old namespace-wide report beside a per-resource one, or a wgpolicyk8s.io
// report beside an openreports.io one — the newest result wins, whichever API it is in; on equal
// times the openreports.io result wins. Kyverno writes one API at a time (openreports.io when its
// reports controller runs with --openreportsEnabled, from Kyverno 1.15) and refreshes result
// timestamps on every scan, so after a switch the reports it still writes win over the ones it
// left behind. A resource is its kind, namespace and name (not its uid or apiVersion, which one
// report may give and the other not). A result's source is its own `source`, else its report's
// (openreports.io has a report-level `source`); results of another source than Kyverno are ignored.
//
// Freshness. A rendered policy's reports are fresh when the policy is installed (a live object of
// that kind, namespace and name) and
//   - it has results, the newest of which is no older than the policy's last change (newest of
//     creationTimestamp and non-status managedFields times) and no older than `maxAgeMinutes`;
//   - or it has no results and its last change is older than `maxAgeMinutes` (Kyverno has had a
//     full background scan to find something and matched nothing).
// maxAgeMinutes defaults to 90: Kyverno's default background scan interval (1 h) plus a margin,
// since Kyverno refreshes result timestamps on every scan. A result's time is its `timestamp`, or
// the newest write of the report it is in (managedFields time, else creationTimestamp).
import type { DesiredPolicy } from '../render/desired-policy.ts';
import { isBackgroundScanned, policyKey } from '../render/desired-policy.ts';
import type { Finding } from './violation-tally.ts';
import type { ComplianceReads, KubeItem, ResourceType } from './compliance-reads.ts';

export const DEFAULT_MAX_REPORT_AGE_MINUTES = 90;

export const REPORT_APIS: { groupVersion: string; kinds: string[] }[] = [
  { groupVersion: 'wgpolicyk8s.io/v1alpha2', kinds: ['PolicyReport', 'ClusterPolicyReport'] },
  { groupVersion: 'openreports.io/v1alpha1', kinds: ['Report', 'ClusterReport'] },
];

export interface PolicyReportOptions {
  /** The target as the pass observes it: its LISTs are shared with the other specs on it. */
  target: ComplianceReads;
  desired: DesiredPolicy[];
  now: Date;
  maxAgeMinutes?: number;
  pageSize?: number;
  signal?: AbortSignal;
  /**
   * Without a single result of the rendered policies, do not read the installed policies to
   * judge freshness: the reports cannot be used anyway (complianceSource auto then uses the engine).
   */
  skipFreshnessWithoutResults?: boolean;
}

export interface PolicyFreshness {
  policy: string;
  policyId: string;
  installed: boolean;
  lastChange?: string;
  newestResult?: string;
  results: number;
  fresh: boolean;
  reason: string;
}

export interface PolicyReportResult {
  /** False when no report API is served: Kyverno (or its CRDs) is not installed. */
  available: boolean;
  /** The report kinds that were read, e.g. `wgpolicyk8s.io/v1alpha2 PolicyReport`. */
  read: string[];
  /** fail and error results of the rendered policies, by spec policy id. */
  findings: Map<string, Finding[]>;
  /** Results of the rendered policies, of any outcome. */
  resultCount: number;
  /** Distinct resources those results are about. */
  resources: number;
  freshness: PolicyFreshness[];
  /** Every rendered policy with background scanning has fresh reports, and there is at least one result. */
  fresh: boolean;
  errors: string[];
}

interface ReportResult {
  source?: string;
  policy?: string;
  rule?: string;
  result?: string;
  message?: string;
  timestamp?: { seconds?: number; nanos?: number };
  resources?: ReportResource[];
}

interface ReportResource {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
}

export async function readPolicyReports(options: PolicyReportOptions): Promise<PolicyReportResult> {
  const { target, signal, now } = options;
  const maxAgeMs = (options.maxAgeMinutes ?? DEFAULT_MAX_REPORT_AGE_MINUTES) * 60_000;
  const out: PolicyReportResult = { available: false, read: [], findings: new Map(), resultCount: 0, resources: 0, freshness: [], fresh: false, errors: [] };
  for (const d of options.desired) out.findings.set(d.policyId, out.findings.get(d.policyId) ?? []);

  // Result `policy` value → rendered policy.
  const byReportName = new Map<string, DesiredPolicy>();
  for (const d of options.desired) {
    const meta = d.object.metadata;
    byReportName.set(d.object.kind === 'Policy' ? `${meta.namespace ?? 'default'}/${meta.name}` : meta.name, d);
  }

  const types: ResourceType[] = [];
  for (const api of REPORT_APIS) {
    for (const kind of api.kinds) {
      const type = await target.findType(api.groupVersion, kind);
      if (type) types.push(type);
    }
  }
  out.available = types.length > 0;
  if (!out.available) {
    out.errors.push('no policy report API is served (wgpolicyk8s.io/v1alpha2 or openreports.io/v1alpha1): is Kyverno installed?');
    return out;
  }

  // Newest result per policy/rule/resource; on equal times the later API of REPORT_APIS wins.
  const latest = new Map<string, { d: DesiredPolicy; r: ReportResult; res: ReportResource; at: number; rank: number }>();
  const newestByPolicy = new Map<DesiredPolicy, number>();
  for (const type of types) {
    const rank = REPORT_APIS.findIndex((api) => api.groupVersion === type.apiVersion);
    try {
      for await (const page of target.pages(type, { pageSize: options.pageSize, signal })) {
        for (const report of page) {
          const reportTime = writeTime(report);
          const scope = report.scope && typeof report.scope === 'object' ? (report.scope as ReportResource) : undefined;
          const reportSource = typeof report.source === 'string' ? report.source : '';
          for (const r of (Array.isArray(report.results) ? report.results : []) as ReportResult[]) {
            const source = r.source || reportSource;
            if (source && source.toLowerCase() !== 'kyverno') continue;
            const d = r.policy ? byReportName.get(r.policy) ?? namespacedMatch(byReportName, r.policy, report) : undefined;
            if (!d) continue;
            out.resultCount++;
            const at = r.timestamp?.seconds ? r.timestamp.seconds * 1000 + Math.floor((r.timestamp.nanos ?? 0) / 1e6) : reportTime;
            newestByPolicy.set(d, Math.max(newestByPolicy.get(d) ?? 0, at));
            const resources = r.resources?.length ? r.resources : scope ? [scope] : [];
            for (const res of resources) {
              const key = `${policyKey(d.object)}|${r.rule ?? ''}|${res.name ? `${res.kind ?? ''}/${res.namespace ?? ''}/${res.name}` : `uid:${res.uid ?? ''}`}`;
              const prev = latest.get(key);
              if (!prev || prev.at < at || (prev.at === at && prev.rank <= rank)) latest.set(key, { d, r, res, at, rank });
            }
          }
        }
      }
      out.read.push(`${type.apiVersion} ${type.kind}`);
    } catch (err) {
      if (signal?.aborted) throw err;
      out.errors.push(`${type.apiVersion} ${type.kind}: ${(err as Error).message}`);
    }
  }

  out.resources = new Set([...latest.values()].map(({ res }) => (res.name ? `${res.kind ?? ''}/${res.namespace ?? ''}/${res.name}` : `uid:${res.uid ?? ''}`))).size;
  for (const { d, r, res } of latest.values()) {
    if (r.result !== 'fail' && r.result !== 'error') continue;
    out.findings.get(d.policyId)!.push({
      policyId: d.policyId,
      policy: d.object.metadata.name,
      rule: r.rule ?? '',
      result: r.result,
      kind: res.kind ?? '',
      name: res.name ?? '',
      ...(res.namespace ? { namespace: res.namespace } : {}),
      message: r.message ?? '',
    });
  }

  if (options.skipFreshnessWithoutResults && out.resultCount === 0) return out;
  const live = await livePolicies(target, options.pageSize, signal, out.errors);
  for (const d of options.desired) {
    const key = policyKey(d.object);
    const installed = live.get(key);
    const newest = newestByPolicy.get(d);
    const count = [...latest.values()].filter((x) => x.d === d).length;
    const f: PolicyFreshness = { policy: key, policyId: d.policyId, installed: installed !== undefined, results: count, fresh: false, reason: '' };
    if (installed !== undefined) f.lastChange = new Date(installed).toISOString();
    if (newest !== undefined) f.newestResult = new Date(newest).toISOString();
    if (!isBackgroundScanned(d.object)) {
      f.fresh = true;
      f.reason = 'background is false: not part of background scans';
    } else if (installed === undefined) {
      f.reason = 'not installed in the cluster, so Kyverno does not report on it';
    } else if (newest === undefined) {
      f.fresh = now.getTime() - installed >= maxAgeMs;
      f.reason = f.fresh ? 'no results: matches no resource' : 'no results yet since its last change';
    } else if (newest < installed) {
      f.reason = 'results are older than the policy\'s last change';
    } else if (now.getTime() - newest > maxAgeMs) {
      f.reason = `newest result is older than ${Math.round(maxAgeMs / 60_000)} minutes`;
    } else {
      f.fresh = true;
      f.reason = 'fresh';
    }
    out.freshness.push(f);
  }
  out.fresh = out.resultCount > 0 && out.errors.length === 0 && out.freshness.every((f) => f.fresh);
  return out;
}

function namespacedMatch(byName: Map<string, DesiredPolicy>, policy: string, report: KubeItem): DesiredPolicy | undefined {
  // Some Kyverno versions name a namespaced Policy's results by its bare name in its namespace's report.
  const ns = report.metadata?.namespace;
  if (typeof ns !== 'string' || policy.includes('/')) return undefined;
  const d = byName.get(`${ns}/${policy}`);
  return d && d.object.kind === 'Policy' ? d : undefined;
}

/** The newest write of an object: managedFields times other than status, else creationTimestamp. */
export function writeTime(obj: KubeItem, ignoreStatus = false): number {
  const meta = obj.metadata ?? {};
  let t = Date.parse(String(meta.creationTimestamp ?? '')) || 0;
  for (const mf of (Array.isArray(meta.managedFields) ? meta.managedFields : []) as { time?: string; subresource?: string }[]) {
    if (ignoreStatus && mf.subresource === 'status') continue;
    const m = Date.parse(mf.time ?? '');
    if (m > t) t = m;
  }
  return t;
}

/** Live Kyverno policies by policyKey → time of their last change. */
async function livePolicies(target: ComplianceReads, pageSize: number | undefined, signal: AbortSignal | undefined, errors: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  // ValidatingPolicies at the policies.kyverno.io version the cluster prefers (none before Kyverno 1.14).
  const validatingPolicy = (await target.resolveKind('policies.kyverno.io/*/ValidatingPolicy')).types[0];
  for (const kind of ['ClusterPolicy', 'Policy', 'ValidatingPolicy']) {
    const type = kind === 'ValidatingPolicy' ? validatingPolicy : await target.findType('kyverno.io/v1', kind);
    if (!type) continue;
    try {
      for await (const page of target.pages(type, { pageSize, signal })) {
        for (const p of page) {
          const meta = p.metadata ?? {};
          out.set(policyKey({ kind, metadata: { name: String(meta.name), namespace: meta.namespace as string | undefined } }), writeTime(p, true));
        }
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      errors.push(`list ${type.apiVersion} ${kind}: ${(err as Error).message}`);
    }
  }
  return out;
}
