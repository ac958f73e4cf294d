/**
 * Drift pull requests: one per cluster and spec, on a branch kspec owns
 * (kspec/drift/<cluster>/<spec>), updated in place on later passes and closed with a
 * comment when the drift is gone. The open PR is found again by its head branch, so a
 * restart never opens a duplicate.
 *
 * The branch holds one kspec commit on top of the base branch: the report files for the
 * pair, and — with adopt on, for a report-only spec — the spec file with the live versions of the
 * modified/extra policies proposed back (only those checks' lines change).
 */
import { redactSecrets, redactString } from '../redact.ts';
import type { DriftEvent, EnforcementMode, Remediation } from '../api/types.ts';
import { adoptIntoSpecFile } from './adopt.ts';
import { plannedChanges } from './commit-reports.ts';
import type { Adoption, AdoptResult } from './adopt.ts';
import type { GitRepo, FileChanges } from './git-repo.ts';
import type { GitHub } from './github-client.ts';
import { mdCell, renderDriftEvents, reportFiles, safeSegment, shortSha } from './report-files.ts';
import type { ReportPair } from './report-files.ts';

export interface SpecFile {
  /** Path of the file in the repository that defines the spec. */
  path: string;
  /** Its text at the source commit (used when the base branch does not have the file). */
  content?: string;
}

export interface DriftPullRequestInput extends ReportPair {
  enforcementMode?: EnforcementMode;
  /** The spec's remediation; absent means auto. Adopt only with report. */
  remediation?: Remediation;
  specFile?: SpecFile;
  /** Live versions of modified/extra policies, for adopt PRs. */
  liveAdoptions?: Adoption[];
}

export interface DriftPullRequestOptions {
  /** The branch PRs target (the watched branch). */
  baseBranch: string;
  /** Default kspec/drift. Must start with kspec/. */
  branchPrefix?: string;
  /** Propose live versions back into the spec file (report-only specs only). */
  adopt?: boolean;
  labels?: string[];
}

export type DriftPullRequestAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'none';

export interface DriftPullRequestResult {
  cluster: string;
  spec: string;
  branch: string;
  action: DriftPullRequestAction;
  number?: number;
  url?: string;
  adopted?: number;
  skippedAdoptions?: { policyID: string; checkID: string; reason: string }[];
  /** Set when the branch was left alone (e.g. someone else committed on it). */
  note?: string;
}

export const MAX_BODY = 60_000;

export function driftBranch(cluster: string, spec: string, prefix = 'kspec/drift'): string {
  if (!prefix.startsWith('kspec/')) throw new Error(`drift branch prefix must start with kspec/: ${prefix}`);
  return `${prefix.replace(/\/+$/, '')}/${safeSegment(cluster)}/${safeSegment(spec)}`;
}

export function prMarker(cluster: string, spec: string): string {
  return `<!-- kspec:drift cluster=${safeSegment(cluster)} spec=${safeSegment(spec)} -->`;
}

export function prTitle(input: ReportPair): string {
  const n = input.drift?.status?.driftEvents.length ?? 0;
  return `kspec: drift in ${input.spec} on ${input.cluster} (${n} ${n === 1 ? 'policy' : 'policies'})`;
}

function modeText(input: DriftPullRequestInput, events: DriftEvent[]): string {
  const mode = input.enforcementMode ? `Mode: ${input.enforcementMode}, ` : '';
  if (input.remediation !== 'report') {
    const what = [
      events.some((e) => e.type === 'missing') ? 'create the missing policies' : '',
      events.some((e) => e.type === 'modified') ? 'restore the modified policies to the spec' : '',
      events.some((e) => e.type === 'extra') ? 'delete the extra policies it owns' : '',
    ].filter(Boolean).join(', ');
    return `**${mode}remediation: auto.** kspec will ${what || 're-apply the spec'} on its next pass; this pull request closes itself once the cluster matches the spec.`;
  }
  return `**${mode}remediation: report.** kspec only reports; it does not change the cluster. Fix the cluster, change the spec, or merge this pull request (see below). It closes itself once the cluster matches the spec.`;
}

/** The PR body: what drifted, where, the unified diffs, the mode, what kspec does. */
export function renderPrBody(input: DriftPullRequestInput, adopt?: AdoptResult): string {
  const events = input.drift?.status?.driftEvents ?? [];
  const source = input.drift?.spec.sourceCommit ?? input.compliance?.spec.sourceCommit;
  const counts = (['missing', 'modified', 'extra'] as const).map((t) => [t, events.filter((e) => e.type === t).length] as const).filter(([, n]) => n > 0);
  const lines: string[] = [prMarker(input.cluster, input.spec), ''];
  lines.push(`## Drift: \`${mdCell(input.spec)}\` on cluster \`${mdCell(input.cluster)}\``, '');
  lines.push(`kspec found ${events.length} ${events.length === 1 ? 'policy' : 'policies'} in cluster \`${mdCell(input.cluster)}\` that differ from ClusterSpecification \`${mdCell(input.spec)}\` at source commit \`${shortSha(source)}\`: ${counts.map(([t, n]) => `${n} ${t}`).join(', ')}.`, '');
  lines.push(modeText(input, events), '');
  const st = input.compliance?.status;
  if (st) lines.push(`Compliance score: **${Math.round(st.complianceScore * 10) / 10}%** (${st.compliantPolicies} of ${st.totalPolicies} policies compliant).`, '');
  lines.push('| Drift | Policy | Check | Resource |', '| --- | --- | --- | --- |');
  for (const e of events) {
    const res = `${e.resourceKind ?? ''} ${e.resourceNamespace ? `${e.resourceNamespace}/` : ''}${e.resourceName}`.trim();
    lines.push(`| ${e.type} | \`${mdCell(e.policyID)}\` | ${e.checkID ? `\`${mdCell(e.checkID)}\`` : ''} | \`${mdCell(res)}\` |`);
  }
  lines.push('');
  if (adopt?.applied.length && input.specFile) {
    lines.push('### Adopt the live versions', '');
    lines.push(`This pull request also changes \`${mdCell(input.specFile.path)}\`: merging it makes the spec match the cluster. Only these checks change; the rest of the file is untouched:`, '');
    for (const a of adopt.applied) lines.push(`- \`${mdCell(a.policyID)}/${mdCell(a.checkID)}\` (${a.type === 'modified' ? 'kyvernoPolicy replaced by the live version' : 'new check with the live policy'})`);
    lines.push('');
  } else {
    lines.push('Merging this pull request only records the drift report under `reports/`.', '');
  }
  if (adopt?.skipped.length) {
    lines.push('Not adopted:', '');
    for (const s of adopt.skipped) lines.push(`- \`${mdCell(s.adoption.policyID)}/${mdCell(s.adoption.checkID)}\`: ${mdCell(s.reason)}`);
    lines.push('');
  }
  lines.push('### Details', '');
  const details = renderDriftEvents(events, 4);
  const head = lines.join('\n');
  const footer = '\n---\n_Opened and kept up to date by kspec. Do not push to this branch: kspec replaces it on every pass._\n';
  const room = MAX_BODY - head.length - footer.length - 200;
  const body = details.length > room ? `${details.slice(0, Math.max(0, room))}\n\n_…diffs truncated; see \`reports/\` on this branch._\n` : details;
  return `${head}\n${body}${footer}`;
}

export async function findOpenPr(gh: GitHub, branch: string) {
  const { data } = await gh.octokit.rest.pulls.list({ owner: gh.owner, repo: gh.repo, state: 'open', head: `${gh.owner}:${branch}`, per_page: 10 });
  return data.find((p) => p.head.ref === branch);
}

/** Opens, updates or closes the drift PR of one cluster/spec. Idempotent. */
export async function syncDriftPullRequest(gh: GitHub, repo: GitRepo, input: DriftPullRequestInput, opts: DriftPullRequestOptions): Promise<DriftPullRequestResult> {
  const branch = driftBranch(input.cluster, input.spec, opts.branchPrefix);
  const base = { cluster: input.cluster, spec: input.spec, branch };
  const events = input.drift?.status?.driftEvents ?? [];
  const open = await findOpenPr(gh, branch);

  if (events.length === 0) {
    if (!open) return { ...base, action: 'none' };
    const source = input.drift?.spec.sourceCommit ?? input.compliance?.spec.sourceCommit;
    await gh.octokit.rest.issues.createComment({
      owner: gh.owner, repo: gh.repo, issue_number: open.number,
      body: `${prMarker(input.cluster, input.spec)}\nThe drift is gone: cluster \`${input.cluster}\` matches ClusterSpecification \`${input.spec}\` (source commit \`${shortSha(source)}\`). Closing this pull request.`,
    });
    await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: open.number, state: 'closed' });
    await repo.deleteOwnedBranch(branch, opts.baseBranch).catch((err: unknown) => gh.log.warn('could not delete drift branch', { branch, error: redactString(String((err as Error).message)) }));
    return { ...base, action: 'closed', number: open.number, url: open.html_url };
  }

  // Branch content: report files, plus adopt edits for a report-only spec.
  const changes: FileChanges = new Map();
  for (const f of reportFiles(input)) changes.set(f.path, f.content);
  // Same results as the branch already shows (timestamps aside): keep its files, so an
  // unchanged drift does not push a new commit every pass.
  const current = await repo.fetchBranch(branch);
  if (current) {
    const { changed } = await plannedChanges(repo, current, [input]);
    if (changed.length === 0) {
      for (const path of changes.keys()) changes.set(path, (await repo.readFile(current, path)) ?? changes.get(path)!);
    }
  }
  let adopt: AdoptResult | undefined;
  if (opts.adopt && input.remediation === 'report' && input.specFile && input.liveAdoptions?.length) {
    const baseHead = await repo.fetchBranch(opts.baseBranch);
    const text = (await repo.readFile(baseHead, input.specFile.path)) ?? input.specFile.content;
    if (text !== undefined) {
      adopt = adoptIntoSpecFile(text, input.spec, input.liveAdoptions);
      if (adopt.applied.length) changes.set(input.specFile.path, adopt.text);
    }
  }
  const n = events.length;
  const message = `kspec: drift in ${input.spec} on ${input.cluster}\n\n${n} drift event${n === 1 ? '' : 's'}${adopt?.applied.length ? `; adopts ${adopt.applied.length} live polic${adopt.applied.length === 1 ? 'y' : 'ies'} into ${input.specFile!.path}` : ''}.\n\nSource-Commit: ${input.drift?.spec.sourceCommit ?? 'unknown'}\nCluster: ${input.cluster}\n`;
  const pushed = await repo.replaceOwnedBranch(branch, opts.baseBranch, { message, changes });

  const title = redactSecrets(prTitle(input));
  const body = redactSecrets(renderPrBody(input, adopt));
  const extra = {
    adopted: adopt?.applied.length ?? 0,
    skippedAdoptions: adopt?.skipped.map((s) => ({ policyID: s.adoption.policyID, checkID: s.adoption.checkID, reason: s.reason })),
    note: pushed.skipped,
  };
  if (open) {
    if (open.title === title && (open.body ?? '') === body && !pushed.pushed) return { ...base, ...extra, action: 'unchanged', number: open.number, url: open.html_url };
    if (open.title !== title || (open.body ?? '') !== body) {
      await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: open.number, title, body });
    }
    return { ...base, ...extra, action: 'updated', number: open.number, url: open.html_url };
  }
  try {
    const { data } = await gh.octokit.rest.pulls.create({ owner: gh.owner, repo: gh.repo, head: branch, base: opts.baseBranch, title, body, maintainer_can_modify: false });
    if (opts.labels?.length) {
      await gh.octokit.rest.issues.addLabels({ owner: gh.owner, repo: gh.repo, issue_number: data.number, labels: opts.labels });
    }
    return { ...base, ...extra, action: 'opened', number: data.number, url: data.html_url };
  } catch (err) {
    // Someone (another replica, a pass before a crash) opened it in between: update that one.
    if ((err as { status?: number }).status === 422) {
      const again = await findOpenPr(gh, branch);
      if (again) {
        await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: again.number, title, body });
        return { ...base, ...extra, action: 'updated', number: again.number, url: again.html_url };
      }
    }
    throw err;
  }
}
