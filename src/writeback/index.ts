/**
 * Git write-back: what the reconciler calls after each pass, and what `kspec plan` calls
 * to comment on a pull request.
 *
 *   const repo = new GitRepo({ url, cacheDir, auth: token, author });
 *   const github = await createGitHub({ owner, repo: name, token });      // pull-request mode
 *   const result = await writeBack({ mode: 'commit', reports, repo, github, options: { baseBranch: 'main' } });
 *
 * Per cluster/spec the effective mode is the spec's spec.writeBack, else `mode`.
 * Failures are per target: one failing spec does not stop the others; errors come back
 * redacted in `result.errors` (never thrown, except for misconfiguration).
 */
import type { EnforcementMode, Remediation, WriteBackMode, ComplianceReport, DriftReport } from '../api/types.ts';
import type { Adoption } from './adopt.ts';
import { commitReports, DEFAULT_REPORTS_BRANCH } from './commit-reports.ts';
import { effectiveMode } from './effective-mode.ts';
import type { CommitReportsResult } from './commit-reports.ts';
import { syncDriftPullRequest } from './drift-pull-request.ts';
import type { DriftPullRequestResult, SpecFile } from './drift-pull-request.ts';
import { GitRepo } from './git-repo.ts';
import type { GitRepoOptions } from './git-repo.ts';
import type { GitHub } from './github-client.ts';
import { redactString } from '../redact.ts';
import { redactingLogger, silentLogger } from './logger.ts';
import type { Logger } from './logger.ts';

export { GitRepo, OWNED_PREFIX } from './git-repo.ts';
export type { GitRepoOptions, GitCredentials, GitIdentity, UpdateResult } from './git-repo.ts';
export { createGitHub } from './github-client.ts';
export type { GitHub, GitHubClientOptions, GitHubAppAuth, WaitBudget } from './github-client.ts';
export { commitReports, DEFAULT_REPORTS_BRANCH, DEFAULT_MESSAGE_TEMPLATE, renderCommitMessage } from './commit-reports.ts';
export type { CommitReportsOptions, CommitReportsResult } from './commit-reports.ts';
export { syncDriftPullRequest, driftBranch, renderPrBody } from './drift-pull-request.ts';
export type { DriftPullRequestInput, DriftPullRequestOptions, DriftPullRequestResult, SpecFile } from './drift-pull-request.ts';
export { adoptIntoSpecFile, cleanLivePolicy } from './adopt.ts';
export type { Adoption, AdoptResult } from './adopt.ts';
export { upsertPlanComment, renderPlanComment, PLAN_MARKER } from './plan-comment.ts';
export type { PlanAction, PlanChange, PlanResult, PlanCommentResult } from './plan-comment.ts';
export { reportFiles, renderReadme, reportDir, resultsEqual } from './report-files.ts';
export type { ReportFile, ReportPair } from './report-files.ts';
export type { Logger } from './logger.ts';
export { effectiveMode } from './effective-mode.ts';

export interface SpecReports {
  cluster: string;
  spec: string;
  compliance?: ComplianceReport;
  drift?: DriftReport;
  /** The spec's spec.writeBack; overrides the installation mode. */
  writeBack?: WriteBackMode;
  /** The spec's enforcementMode (PR wording). */
  enforcementMode?: EnforcementMode;
  /** The spec's remediation; absent means auto. Adopt PRs only for report. */
  remediation?: Remediation;
  /** The file that defines the spec (repository path), for adopt PRs. */
  specFile?: SpecFile;
  /** Live versions of modified/extra policies, for adopt PRs. */
  liveAdoptions?: Adoption[];
}

export interface WriteBackOptions {
  /** The watched branch: drift PRs target it. Default main. */
  baseBranch?: string;
  /** Default kspec-reports. Must differ from baseBranch. */
  reportsBranch?: string;
  /** Commit message template, see CommitReportsOptions.messageTemplate. */
  commitMessage?: string;
  /** Propose live versions back into spec files in drift PRs (report-only specs). Default false. */
  adopt?: boolean;
  /** Default kspec/drift. */
  prBranchPrefix?: string;
  prLabels?: string[];
  log?: Logger;
}

export interface WriteBackInput {
  /** Installation default (--write-back). */
  mode: WriteBackMode;
  reports: SpecReports[];
  /** The repository (a GitRepo, or options to build one). */
  repo: GitRepo | GitRepoOptions;
  /** Needed when any target resolves to pull-request. */
  github?: GitHub;
  options?: WriteBackOptions;
}

export interface WriteBackResult {
  commit?: CommitReportsResult;
  pullRequests: DriftPullRequestResult[];
  errors: { cluster?: string; spec?: string; mode: WriteBackMode; error: string }[];
}

export async function writeBack(input: WriteBackInput): Promise<WriteBackResult> {
  const opts = input.options ?? {};
  const baseBranch = opts.baseBranch ?? 'main';
  const reportsBranch = opts.reportsBranch ?? DEFAULT_REPORTS_BRANCH;
  const log = redactingLogger(opts.log ?? silentLogger);
  const result: WriteBackResult = { pullRequests: [], errors: [] };
  const byMode = { commit: [] as SpecReports[], 'pull-request': [] as SpecReports[] };
  for (const r of input.reports) {
    const m = effectiveMode(input.mode, r.writeBack);
    if (m === 'commit' || m === 'pull-request') byMode[m].push(r);
  }
  if (byMode.commit.length === 0 && byMode['pull-request'].length === 0) return result;
  if (reportsBranch === baseBranch) throw new Error(`the reports branch must not be the watched branch (${baseBranch}): kspec would re-trigger itself`);
  const repo = input.repo instanceof GitRepo ? input.repo : new GitRepo({ ...input.repo, log: input.repo.log ?? opts.log });

  if (byMode.commit.length) {
    try {
      result.commit = await commitReports(repo, byMode.commit, { branch: reportsBranch, messageTemplate: opts.commitMessage });
      log.info(result.commit.committed ? 'committed reports' : 'reports unchanged; no commit', { branch: reportsBranch, sha: result.commit.sha, changed: result.commit.changed.length });
    } catch (err) {
      const msg = redactString(String((err as Error)?.message ?? err));
      log.error('committing reports failed', { branch: reportsBranch, error: msg });
      result.errors.push({ mode: 'commit', error: msg });
    }
  }
  for (const r of byMode['pull-request']) {
    if (!input.github) {
      result.errors.push({ cluster: r.cluster, spec: r.spec, mode: 'pull-request', error: 'pull-request write-back needs GitHub credentials' });
      continue;
    }
    try {
      const pr = await syncDriftPullRequest(input.github, repo, { ...r }, { baseBranch, adopt: opts.adopt, branchPrefix: opts.prBranchPrefix, labels: opts.prLabels });
      result.pullRequests.push(pr);
      if (pr.action !== 'none' && pr.action !== 'unchanged') log.info(`drift pull request ${pr.action}`, { cluster: r.cluster, spec: r.spec, number: pr.number, branch: pr.branch });
    } catch (err) {
      const msg = redactString(String((err as Error)?.message ?? err));
      log.error('drift pull request failed', { cluster: r.cluster, spec: r.spec, error: msg });
      result.errors.push({ cluster: r.cluster, spec: r.spec, mode: 'pull-request', error: msg });
    }
  }
  return result;
}
