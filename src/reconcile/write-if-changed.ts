// Whether kspec needs to write one of its own objects, compared with what the management cluster
// holds: an idle pass writes nothing. Content is compared without the fields that only say when
// (a report's timestamp, a drift's detectedAt, a status' lastReconcileTime); an object whose
// content is unchanged is still rewritten once its timestamp is older than --report-refresh, so
// that "when detection last ran" stays roughly true without a write every pass. Pure.
import type { ClusterSpecification, ClusterTarget, ComplianceReport, DriftReport } from '../api/types.ts';
import { sameJson } from '../util/same-json.ts';

/** Default of --report-refresh. */
export const DEFAULT_REPORT_REFRESH_MS = 10 * 60_000;

/** True when `stamp` is missing, unreadable or older than `refreshMs` before `now`. */
export function refreshDue(stamp: string | undefined, now: Date, refreshMs: number): boolean {
  const at = stamp ? Date.parse(stamp) : NaN;
  return !Number.isFinite(at) || now.getTime() - at >= refreshMs;
}

/** `desired` labels or annotations are all there with the same values (others may add more). */
function contains(live: Record<string, string> | undefined, desired: Record<string, string> | undefined): boolean {
  return Object.entries(desired ?? {}).every(([k, v]) => live?.[k] === v);
}

/** A mirror (spec or target) already holds the desired labels, annotations and spec. */
export function mirrorUnchanged<T extends ClusterSpecification | ClusterTarget>(live: T | undefined, desired: T): boolean {
  return !!live && contains(live.metadata.labels, desired.metadata.labels) && contains(live.metadata.annotations, desired.metadata.annotations) && sameJson(live.spec, desired.spec);
}

type Report = ComplianceReport | DriftReport;

/** A report without the fields that change every pass although nothing else did. */
function reportContent(report: Report): unknown {
  const { timestamp: _timestamp, ...spec } = report.spec as Report['spec'] & { timestamp?: string };
  const status = report.status as (Report['status'] & { driftEvents?: { detectedAt?: string }[] }) | undefined;
  const events = status?.driftEvents?.map(({ detectedAt: _detectedAt, ...rest }) => rest);
  return { labels: report.metadata.labels, spec, status: events ? { ...status, driftEvents: events } : status };
}

/** Whether `next` must be written over `live`: its content changed, or the last write is old. */
export function reportNeedsWrite(live: Report | undefined, next: Report, now: Date, refreshMs: number): boolean {
  if (!live) return true;
  return !sameJson(reportContent(live), reportContent(next)) || refreshDue(live.spec?.timestamp, now, refreshMs);
}

type SpecStatus = NonNullable<ClusterSpecification['status']>;

/** Whether a spec's status must be written: it changed apart from lastReconcileTime, or that is old. */
export function statusNeedsWrite(live: SpecStatus | undefined, next: SpecStatus, now: Date, refreshMs: number): boolean {
  if (!live) return true;
  const { lastReconcileTime: liveTime, ...liveRest } = live;
  const { lastReconcileTime: _nextTime, ...nextRest } = next;
  return !sameJson(liveRest, nextRest) || refreshDue(liveTime, now, refreshMs);
}
