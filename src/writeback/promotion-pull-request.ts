/**
 * Promotion pull requests: one per cluster and spec, on a branch kspec owns
 * (kspec/promote/<cluster>/<spec>), holding one commit that switches the spec's enforcementMode
 * from monitor to enforce, with the evidence in the body. Opened once the spec has been clean for
 * the promotion period, updated as the evidence changes, closed with a comment when a violation
 * appears. The watched branch is never written: nothing is switched until someone merges.
 */
import { redactSecrets, redactString } from '../redact.ts';
import type { PromotionDecision, PromotionEvidence } from '../promotion/promotion.ts';
import { formatPeriod } from '../promotion/promotion.ts';
import { findOpenPr } from './drift-pull-request.ts';
import type { GitRepo } from './git-repo.ts';
import type { GitHub } from './github-client.ts';
import { switchToEnforce } from './promote-spec-file.ts';
import { mdCell, safeSegment, shortSha } from './report-files.ts';

export interface PromotionPullRequestInput {
  cluster: string;
  spec: string;
  /** Path of the file in the repository that defines the spec. */
  specFile: string;
  decision: PromotionDecision;
}

export interface PromotionPullRequestOptions {
  /** The watched branch: the pull request targets it. */
  baseBranch: string;
  promoteAfterMs: number;
  now: Date;
  labels?: string[];
}

export type PromotionAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'none';

export interface PromotionPullRequestResult {
  cluster: string;
  spec: string;
  branch: string;
  action: PromotionAction;
  number?: number;
  url?: string;
  /** Why it was closed, or why the branch was left alone. */
  note?: string;
}

/** An unchanged body is still rewritten once its "last pass" is this old, so it never looks stale. */
export const EVIDENCE_REFRESH_MS = 6 * 3600 * 1000;

export function promotionBranch(cluster: string, spec: string): string {
  return `kspec/promote/${safeSegment(cluster)}/${safeSegment(spec)}`;
}

function marker(cluster: string, spec: string): string {
  return `<!-- kspec:promote cluster=${safeSegment(cluster)} spec=${safeSegment(spec)} -->`;
}

export function promotionTitle(input: Pick<PromotionPullRequestInput, 'cluster' | 'spec'>): string {
  return `kspec: enforce ${input.spec} on ${input.cluster} (clean in monitor mode)`;
}

const LAST_PASS_ROW = '| Last pass |';

/** The body: what merging does, and the evidence that the spec is ready for it. */
export function renderPromotionBody(input: Pick<PromotionPullRequestInput, 'cluster' | 'spec' | 'specFile'>, evidence: PromotionEvidence, promoteAfterMs: number): string {
  const spec = `\`${mdCell(input.spec)}\``;
  const cluster = `\`${mdCell(input.cluster)}\``;
  const lines = [marker(input.cluster, input.spec), '', `## Promote ${spec} on ${cluster} to enforce`, ''];
  lines.push(`Every policy of ClusterSpecification ${spec} has had no violation on cluster ${cluster} since **${evidence.cleanSince}**, longer than the promotion period (${formatPeriod(promoteAfterMs)}).`, '');
  lines.push(`Merging this pull request switches \`enforcementMode\` from \`monitor\` to \`enforce\` in \`${mdCell(input.specFile)}\` (only that value changes). kspec then installs the spec's policies with Enforce, and the API server denies new requests that violate them. **Nothing changes until this pull request is merged.**`, '');
  lines.push('| Evidence | |', '| --- | --- |');
  lines.push(`| Clean since | ${evidence.cleanSince} |`);
  lines.push(`| Resources checked | ${evidence.resourcesChecked ?? 'unknown'} (in the last pass${evidence.source ? `, from ${evidence.source === 'engine' ? 'kspec\'s engine' : 'Kyverno\'s policy reports'}` : ''}) |`);
  lines.push(`| Policies | ${evidence.policies.length}, all compliant |`);
  lines.push(`${LAST_PASS_ROW} ${evidence.lastPass}${evidence.sourceCommit ? ` at commit \`${shortSha(evidence.sourceCommit)}\`` : ''} |`, '');
  lines.push('| Policy | Severity | Violations |', '| --- | --- | ---: |');
  for (const p of evidence.policies) lines.push(`| \`${mdCell(p.policyID)}\` | ${p.severity ?? ''} | 0 |`);
  lines.push('', '---', '_Opened by kspec. It updates this pull request as the evidence changes and closes it if a violation appears. Do not push to this branch: kspec replaces it._');
  return `${lines.join('\n')}\n`;
}

/** The body without its last-pass row: what decides whether the evidence changed. */
const evidenceOf = (body: string) => body.split('\n').filter((l) => !l.startsWith(LAST_PASS_ROW)).join('\n');
const lastPassOf = (body: string) => Date.parse(body.split('\n').find((l) => l.startsWith(LAST_PASS_ROW))?.slice(LAST_PASS_ROW.length).trim().split(' ')[0] ?? '');

/** Opens, updates or closes the promotion pull request of one cluster/spec, as decided. Idempotent. */
export async function syncPromotionPullRequest(gh: GitHub, repo: GitRepo, input: PromotionPullRequestInput, opts: PromotionPullRequestOptions): Promise<PromotionPullRequestResult> {
  const branch = promotionBranch(input.cluster, input.spec);
  const base = { cluster: input.cluster, spec: input.spec, branch };
  const open = await findOpenPr(gh, branch);
  const opened = open ? { number: open.number, url: open.html_url } : {};
  const { decision } = input;

  const close = async (reason: string): Promise<PromotionPullRequestResult> => {
    if (!open) return { ...base, action: 'none', note: reason };
    await gh.octokit.rest.issues.createComment({ owner: gh.owner, repo: gh.repo, issue_number: open.number, body: redactSecrets(`${marker(input.cluster, input.spec)}\nNot promoting ${input.spec} on ${input.cluster} now: ${reason}. Closing this pull request; kspec opens a new one once the spec has been clean for ${formatPeriod(opts.promoteAfterMs)} again.`) });
    await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: open.number, state: 'closed' });
    await repo.deleteOwnedBranch(branch, opts.baseBranch).catch((err: unknown) => gh.log.warn('could not delete promotion branch', { branch, error: redactString(String((err as Error).message)) }));
    return { ...base, ...opened, action: 'closed', note: reason };
  };

  if (decision.action === 'keep') return { ...base, ...opened, action: open ? 'unchanged' : 'none' };
  if (decision.action === 'withdraw') return close(decision.reason);

  const baseHead = await repo.fetchBranch(opts.baseBranch);
  const text = await repo.readFile(baseHead, input.specFile);
  if (text === undefined) throw new Error(`cannot propose enforce for ${input.spec}: ${input.specFile} is not on ${opts.baseBranch}`);
  const edit = switchToEnforce(text, input.spec);
  if (!edit.ok && edit.alreadyEnforce) return close(`${input.specFile} on ${opts.baseBranch} already says enforce`);
  if (!edit.ok) throw new Error(`cannot propose enforce for ${input.spec}: ${input.specFile}: ${edit.reason}`);

  const { evidence } = decision;
  const message = `kspec: enforce ${input.spec} on ${input.cluster}\n\nEvery policy clean since ${evidence.cleanSince} (${evidence.resourcesChecked ?? 'unknown'} resources checked in the last pass).\n\nSource-Commit: ${evidence.sourceCommit ?? 'unknown'}\nCluster: ${input.cluster}\n`;
  const pushed = await repo.replaceOwnedBranch(branch, opts.baseBranch, { message, changes: new Map([[input.specFile, edit.text]]) });
  const title = redactSecrets(promotionTitle(input));
  const body = redactSecrets(renderPromotionBody(input, evidence, opts.promoteAfterMs));
  const note = pushed.skipped ? { note: pushed.skipped } : {};

  if (open) {
    const current = open.body ?? '';
    const stale = !(opts.now.getTime() - lastPassOf(current) < EVIDENCE_REFRESH_MS);
    if (open.title === title && evidenceOf(current) === evidenceOf(body) && !stale) return { ...base, ...opened, ...note, action: pushed.pushed ? 'updated' : 'unchanged' };
    await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: open.number, title, body });
    return { ...base, ...opened, ...note, action: 'updated' };
  }
  const { data } = await gh.octokit.rest.pulls.create({ owner: gh.owner, repo: gh.repo, head: branch, base: opts.baseBranch, title, body, maintainer_can_modify: false });
  if (opts.labels?.length) await gh.octokit.rest.issues.addLabels({ owner: gh.owner, repo: gh.repo, issue_number: data.number, labels: opts.labels });
  return { ...base, ...note, action: 'opened', number: data.number, url: data.html_url };
}
