/**
 * Reports -> files under reports/<cluster>/<spec>/ (pure).
 *
 * compliance.yaml and drift.yaml carry the same content as the ComplianceReport and
 * DriftReport resources, in a stable key order, without server-assigned metadata
 * (resourceVersion, uid, generation, managedFields, creationTimestamp). README.md is a
 * human summary that reads well on GitHub.
 *
 * `resultsEqual` compares two reports ignoring timestamps: a pass whose results did not
 * change is not a change.
 */
import { stringify, parse } from 'yaml';
import type {
  ComplianceReport,
  DriftEvent,
  DriftReport,
  ObjectMeta,
  PolicyResult,
} from '../api/types.ts';

export interface ReportPair {
  cluster: string;
  spec: string;
  compliance?: ComplianceReport;
  drift?: DriftReport;
}

export interface ReportFile {
  path: string;
  content: string;
}

/** Keys listed here come first, in this order; other keys follow alphabetically. */
const KEY_ORDER = [
  'apiVersion', 'kind', 'metadata', 'spec', 'status',
  'name', 'namespace', 'labels', 'annotations',
  'clusterRef', 'specRef', 'sourceCommit', 'timestamp',
  'driftDetected', 'totalPolicies', 'compliantPolicies', 'violationCount', 'complianceScore',
  'weightedScore', 'source',
  'type', 'policyID', 'checkID', 'status', 'severity', 'resourceKind', 'resourceNamespace',
  'resourceName', 'message', 'detectedAt', 'violationTotal', 'violations', 'resource',
  'path', 'desired', 'live', 'fields', 'diff', 'policyResults', 'driftEvents',
];
const RANK = new Map(KEY_ORDER.map((k, i) => [k, i] as [string, number]));

function compareKeys(a: string, b: string): number {
  const ra = RANK.get(a);
  const rb = RANK.get(b);
  if (ra !== undefined && rb !== undefined) return ra - rb;
  if (ra !== undefined) return -1;
  if (rb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Deep copy with keys in stable order and undefined values dropped. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareKeys)) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) continue;
      out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

function cleanMetadata(meta: ObjectMeta | undefined): Partial<ObjectMeta> {
  if (!meta) return {};
  const out: Partial<ObjectMeta> = { name: meta.name };
  if (meta.namespace) out.namespace = meta.namespace;
  if (meta.labels && Object.keys(meta.labels).length) out.labels = meta.labels;
  if (meta.annotations && Object.keys(meta.annotations).length) out.annotations = meta.annotations;
  return out;
}

function cmp(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortResults(results: PolicyResult[]): PolicyResult[] {
  return [...results].sort((a, b) => cmp(a.policyID, b.policyID));
}

function eventKey(e: DriftEvent): string {
  return [e.policyID, e.checkID ?? '', e.resourceKind ?? '', e.resourceNamespace ?? '', e.resourceName, e.type].join('\u0000');
}

function sortEvents(events: DriftEvent[]): DriftEvent[] {
  return [...events].sort((a, b) => cmp(eventKey(a), eventKey(b)));
}

/** The ComplianceReport as it is written to Git (plain data, stable order). */
export function complianceDocument(report: ComplianceReport): unknown {
  return canonical({
    apiVersion: report.apiVersion,
    kind: report.kind,
    metadata: cleanMetadata(report.metadata),
    spec: report.spec,
    status: report.status
      ? { ...report.status, policyResults: sortResults(report.status.policyResults ?? []) }
      : undefined,
  });
}

/** The DriftReport as it is written to Git (plain data, stable order). */
export function driftDocument(report: DriftReport): unknown {
  return canonical({
    apiVersion: report.apiVersion,
    kind: report.kind,
    metadata: cleanMetadata(report.metadata),
    spec: report.spec,
    status: report.status
      ? { ...report.status, driftEvents: sortEvents(report.status.driftEvents ?? []) }
      : undefined,
  });
}

export function toYaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, minContentWidth: 0, sortMapEntries: false });
}

/** Removes the fields that change on every pass (timestamps) for comparison. */
export function withoutTimestamps(doc: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(doc ?? null)) as Record<string, any> | null;
  if (!copy || typeof copy !== 'object') return copy;
  if (copy.spec && typeof copy.spec === 'object') delete copy.spec.timestamp;
  const events = copy.status?.driftEvents;
  if (Array.isArray(events)) for (const e of events) if (e && typeof e === 'object') delete e.detectedAt;
  return canonical(copy);
}

/** True when two report documents (objects or YAML text) differ only in timestamps. */
export function resultsEqual(a: unknown, b: unknown): boolean {
  const pa = typeof a === 'string' ? parse(a) : a;
  const pb = typeof b === 'string' ? parse(b) : b;
  return JSON.stringify(withoutTimestamps(pa)) === JSON.stringify(withoutTimestamps(pb));
}

/** A path segment that cannot climb out of reports/ or create odd names. */
export function safeSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s.length ? s : '_';
}

export function reportDir(cluster: string, spec: string): string {
  return `reports/${safeSegment(cluster)}/${safeSegment(spec)}`;
}

/** The three files for one cluster and spec. */
export function reportFiles(pair: ReportPair): ReportFile[] {
  const dir = reportDir(pair.cluster, pair.spec);
  const files: ReportFile[] = [];
  if (pair.compliance) files.push({ path: `${dir}/compliance.yaml`, content: toYaml(complianceDocument(pair.compliance)) });
  if (pair.drift) files.push({ path: `${dir}/drift.yaml`, content: toYaml(driftDocument(pair.drift)) });
  files.push({ path: `${dir}/README.md`, content: renderReadme(pair) });
  return files;
}

// ---------------------------------------------------------------- Markdown

export function mdCell(text: string | number | undefined): string {
  return String(text ?? '').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

/** A fenced code block whose fence is longer than any backtick run in the content. */
export function fence(content: string, lang = ''): string {
  const runs = content.match(/`+/g) ?? [];
  const longest = runs.reduce((m, r) => Math.max(m, r.length), 0);
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${lang}\n${content.replace(/\n$/, '')}\n${f}`;
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 12) : 'unknown';
}

function pct(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return 'n/a';
  const rounded = Math.round(n * 10) / 10;
  return `${rounded}%`;
}

const DRIFT_ICON: Record<string, string> = { missing: '➖ missing', modified: '✏️ modified', extra: '➕ extra' };

export function describeEvent(e: DriftEvent): string {
  const kind = e.resourceKind ?? 'policy';
  const where = e.resourceNamespace ? `${e.resourceNamespace}/${e.resourceName}` : e.resourceName;
  const check = e.checkID ? ` / check \`${e.checkID}\`` : '';
  return `**${e.type}** — policy \`${e.policyID}\`${check}: ${kind} \`${where}\``;
}

/** Markdown for drift events: one heading each, message, field changes and unified diff. */
export function renderDriftEvents(events: DriftEvent[], headingLevel = 3): string {
  const h = '#'.repeat(headingLevel);
  const parts: string[] = [];
  for (const e of sortEvents(events)) {
    parts.push(`${h} ${DRIFT_ICON[e.type] ?? e.type}: \`${e.resourceName}\``);
    parts.push('');
    parts.push(describeEvent(e));
    parts.push('');
    if (e.message) parts.push(`> ${e.message.replace(/\r?\n/g, ' ')}`, '');
    if (e.fields?.length) {
      parts.push('| Field | Desired | Live |', '| --- | --- | --- |');
      for (const f of e.fields) {
        parts.push(`| \`${mdCell(f.path)}\` | ${f.desired === undefined ? '_absent_' : `\`${mdCell(f.desired)}\``} | ${f.live === undefined ? '_absent_' : `\`${mdCell(f.live)}\``} |`);
      }
      parts.push('');
    }
    if (e.diff) parts.push(fence(e.diff, 'diff'), '');
  }
  return parts.join('\n');
}

export function renderReadme(pair: ReportPair): string {
  const { cluster, spec, compliance, drift } = pair;
  const st = compliance?.status;
  const events = drift?.status?.driftEvents ?? [];
  const source = compliance?.spec.sourceCommit ?? drift?.spec.sourceCommit;
  const time = compliance?.spec.timestamp ?? drift?.spec.timestamp;
  const lines: string[] = [];
  lines.push(`# ${mdCell(spec)} on ${mdCell(cluster)}`, '');
  if (st) {
    const weighted = st.weightedScore !== undefined ? ` · weighted score **${pct(st.weightedScore)}**` : '';
    lines.push(`**Compliance score: ${pct(st.complianceScore)}** (${st.compliantPolicies} of ${st.totalPolicies} policies compliant, ${st.violationCount} violations)${weighted}`, '');
  } else {
    lines.push('_No compliance results yet._', '');
  }
  lines.push(`**Drift:** ${events.length === 0 ? 'none — the cluster matches the specification' : `${events.length} event${events.length === 1 ? '' : 's'}`}`, '');
  lines.push('| | |', '| --- | --- |');
  lines.push(`| Cluster | \`${mdCell(cluster)}\` |`);
  lines.push(`| Specification | \`${mdCell(spec)}\` |`);
  lines.push(`| Source commit | \`${mdCell(shortSha(source))}\` |`);
  if (st?.source) lines.push(`| Results from | ${mdCell(st.source)} |`);
  if (time) lines.push(`| Reported at | ${mdCell(time)} |`);
  lines.push('');

  const byPolicy = new Map<string, DriftEvent[]>();
  for (const e of events) {
    const list = byPolicy.get(e.policyID) ?? [];
    list.push(e);
    byPolicy.set(e.policyID, list);
  }
  const results = sortResults(st?.policyResults ?? []);
  const ids = new Set([...results.map((r) => r.policyID), ...byPolicy.keys()]);
  if (ids.size) {
    lines.push('## Policies', '');
    lines.push('| Policy | Severity | State | Violations | Drift |', '| --- | --- | --- | --- | --- |');
    for (const id of [...ids].sort()) {
      const r = results.find((x) => x.policyID === id);
      const state = !r ? '—' : r.status === 'compliant' ? '✅ compliant' : '❌ violation';
      const count = r ? r.violationTotal ?? r.violations.length : '';
      const d = byPolicy.get(id) ?? [];
      const drift = d.length ? d.map((e) => e.type).sort().join(', ') : 'in sync';
      lines.push(`| \`${mdCell(id)}\` | ${mdCell(r?.severity ?? '')} | ${state} | ${count} | ${mdCell(drift)} |`);
    }
    lines.push('');
    const violating = results.filter((r) => r.violations.length);
    if (violating.length) {
      lines.push('## Violations', '');
      for (const r of violating) {
        const total = r.violationTotal ?? r.violations.length;
        lines.push(`<details><summary><code>${mdCell(r.policyID)}</code>: ${total} violation${total === 1 ? '' : 's'}</summary>`, '');
        lines.push('| Resource | Namespace | Message |', '| --- | --- | --- |');
        for (const v of r.violations) lines.push(`| \`${mdCell(v.resource)}\` | ${mdCell(v.namespace ?? '')} | ${mdCell(v.message)} |`);
        if (total > r.violations.length) lines.push('', `_…and ${total - r.violations.length} more._`);
        lines.push('', '</details>', '');
      }
    }
  }
  if (events.length) {
    lines.push('## Drift', '');
    lines.push(renderDriftEvents(events, 3));
  }
  lines.push('---', '', '_Written by kspec. The same content is in `compliance.yaml` and `drift.yaml` next to this file._', '');
  return lines.join('\n');
}
