/**
 * Commits reports/<cluster>/<spec>/{compliance.yaml,drift.yaml,README.md} to the reports
 * branch (default kspec-reports), one commit per pass for everything that changed.
 *
 * A cluster/spec whose results equal what the branch already holds (timestamps aside) is
 * left as it is; when nothing changed there is no commit. The branch is updated by
 * fast-forward only: if someone pushed in between, kspec fetches, recomputes its change on
 * top of their commit and retries, so their commit stays.
 */
import { complianceDocument, driftDocument, reportDir, reportFiles, resultsEqual, shortSha } from './report-files.ts';
import type { ComplianceReport, DriftReport } from '../api/types.ts';
import type { ReportPair } from './report-files.ts';
import type { GitRepo, FileChanges } from './git-repo.ts';

export interface CommitReportsOptions {
  /** Default kspec-reports. */
  branch?: string;
  /**
   * Commit message template. Placeholders: {clusters} {specs} {sourceCommit}
   * {shortSourceCommit} {summary} (one line per cluster/spec). Default:
   * "kspec: reports for {clusters} at {shortSourceCommit}\n\n{summary}\n\nSource-Commit: {sourceCommit}"
   */
  messageTemplate?: string;
}

export interface CommitReportsResult {
  committed: boolean;
  branch: string;
  /** Head of the reports branch after the pass. */
  sha?: string;
  /** cluster/spec pairs whose files were written in this commit. */
  changed: { cluster: string; spec: string }[];
  attempts: number;
}

export const DEFAULT_REPORTS_BRANCH = 'kspec-reports';
export const DEFAULT_MESSAGE_TEMPLATE = 'kspec: reports for {clusters} at {shortSourceCommit}\n\n{summary}\n\nSource-Commit: {sourceCommit}\nCluster: {clusters}\n';

function sourceOf(p: ReportPair): string | undefined {
  return p.compliance?.spec.sourceCommit ?? p.drift?.spec.sourceCommit;
}

function summaryLine(p: ReportPair): string {
  const st = p.compliance?.status;
  const events = p.drift?.status?.driftEvents.length ?? 0;
  const score = st ? `score ${Math.round(st.complianceScore * 10) / 10}% (${st.compliantPolicies}/${st.totalPolicies})` : 'no compliance results';
  return `- ${p.cluster}/${p.spec}: ${score}, ${events === 0 ? 'no drift' : `${events} drift event${events === 1 ? '' : 's'}`}`;
}

export function renderCommitMessage(template: string, changed: ReportPair[]): string {
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  const sources = uniq(changed.map(sourceOf).filter((s): s is string => !!s));
  const values: Record<string, string> = {
    clusters: uniq(changed.map((p) => p.cluster)).join(', '),
    specs: uniq(changed.map((p) => p.spec)).join(', '),
    sourceCommit: sources.length ? sources.join(', ') : 'unknown',
    shortSourceCommit: sources.length ? sources.map((s) => shortSha(s)).join(', ') : 'unknown',
    summary: changed.map(summaryLine).join('\n'),
  };
  return template.replace(/\{(clusters|specs|sourceCommit|shortSourceCommit|summary)\}/g, (_, k: string) => values[k] ?? '');
}

/** The files to write at `head`: only pairs whose results differ from the branch. */
export async function plannedChanges(repo: GitRepo, head: string | undefined, reports: ReportPair[]): Promise<{ changes: FileChanges; changed: ReportPair[] }> {
  const changes: FileChanges = new Map();
  const changed: ReportPair[] = [];
  for (const pair of reports) {
    const dir = reportDir(pair.cluster, pair.spec);
    const [oldCompliance, oldDrift, oldReadme] = await Promise.all([
      repo.readFile(head, `${dir}/compliance.yaml`),
      repo.readFile(head, `${dir}/drift.yaml`),
      repo.readFile(head, `${dir}/README.md`),
    ]);
    const same =
      oldReadme !== undefined &&
      (pair.compliance ? oldCompliance !== undefined && safeEqual(oldCompliance, pair.compliance) : oldCompliance === undefined) &&
      (pair.drift ? oldDrift !== undefined && safeEqual(oldDrift, pair.drift) : oldDrift === undefined);
    if (same) continue;
    changed.push(pair);
    for (const f of reportFiles(pair)) changes.set(f.path, f.content);
  }
  return { changes, changed };
}

function safeEqual(oldText: string, report: unknown): boolean {
  try {
    // Compare as written: the report goes through the same canonical form as the file.
    return resultsEqual(oldText, writtenForm(report));
  } catch {
    return false;
  }
}

function writtenForm(report: unknown): unknown {
  const r = report as ComplianceReport | DriftReport;
  return r.kind === 'ComplianceReport' ? complianceDocument(r) : driftDocument(r as DriftReport);
}

/** Commits changed reports to the reports branch; no commit when nothing changed. */
export async function commitReports(repo: GitRepo, reports: ReportPair[], opts: CommitReportsOptions = {}): Promise<CommitReportsResult> {
  const branch = opts.branch ?? DEFAULT_REPORTS_BRANCH;
  let changedPairs: ReportPair[] = [];
  const result = await repo.updateBranch(branch, async (head) => {
    const { changes, changed } = await plannedChanges(repo, head, reports);
    changedPairs = changed;
    if (changes.size === 0) return null;
    return { message: renderCommitMessage(opts.messageTemplate ?? DEFAULT_MESSAGE_TEMPLATE, changed), changes };
  });
  return {
    committed: result.pushed,
    branch,
    sha: result.sha,
    changed: result.pushed ? changedPairs.map((p) => ({ cluster: p.cluster, spec: p.spec })) : [],
    attempts: result.attempts,
  };
}
