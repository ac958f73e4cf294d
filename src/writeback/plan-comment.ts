/**
 * `kspec plan --comment-on-pr`: the policies a pull request's specs would add, change or
 * remove on the live clusters, as one PR comment that later runs update in place. The
 * comment is found again by a hidden marker.
 */
import { redactSecrets } from '../redact.ts';
import type { GitHub } from './github-client.ts';
import { fence, mdCell, shortSha } from './report-files.ts';
import type { ImpactExample, PolicyImpact } from '../impact/policy-impact.ts';

export type PlanAction = 'add' | 'change' | 'remove';

export interface PlanChange {
  cluster: string;
  spec: string;
  action: PlanAction;
  /** ClusterPolicy or Policy. */
  kind?: string;
  namespace?: string;
  name: string;
  policyID?: string;
  checkID?: string;
  /** Unified diff live -> desired (for change; optional for add/remove). */
  diff?: string;
}

export interface PlanResult {
  changes: PlanChange[];
  /** Specs looked at (so "no changes" can say for what). */
  specs?: { cluster: string; spec: string }[];
  /** Problems loading or rendering specs; shown in the comment. */
  errors?: { file?: string; message: string }[];
  /** The commit the plan was computed at (the PR head). */
  sourceCommit?: string;
  /** What the changed policies do to the live resources, per cluster and spec. */
  impact?: { cluster: string; spec: string; policies: PolicyImpact[] }[];
}

export const PLAN_MARKER = '<!-- kspec:plan -->';
const MAX_COMMENT = 60_000;

function markerFor(key?: string): string {
  return key ? `<!-- kspec:plan key=${key.replace(/[^A-Za-z0-9._/-]/g, '_')} -->` : PLAN_MARKER;
}

const ICON: Record<PlanAction, string> = { add: '➕ add', change: '✏️ change', remove: '➖ remove' };

export function renderPlanComment(plan: PlanResult, opts: { key?: string } = {}): string {
  const lines: string[] = [markerFor(opts.key), '## kspec plan', ''];
  const count = (a: PlanAction) => plan.changes.filter((c) => c.action === a).length;
  const at = plan.sourceCommit ? ` at \`${shortSha(plan.sourceCommit)}\`` : '';
  if (plan.errors?.length) {
    lines.push(`❌ **${plan.errors.length} error${plan.errors.length === 1 ? '' : 's'}**${at}; specs with errors are not applied (the last good state stays in effect):`, '');
    for (const e of plan.errors) lines.push(`- ${e.file ? `\`${mdCell(e.file)}\`: ` : ''}${mdCell(e.message)}`);
    lines.push('');
  }
  if (plan.changes.length === 0) {
    const scope = plan.specs?.length ? ` for ${plan.specs.map((s) => `\`${mdCell(s.spec)}\` on \`${mdCell(s.cluster)}\``).join(', ')}` : '';
    lines.push(`✅ No changes${at}${scope}: the live clusters already match.`, '');
  } else {
    lines.push(`Merging this pull request would **add ${count('add')}**, **change ${count('change')}** and **remove ${count('remove')}** Kyverno ${plan.changes.length === 1 ? 'policy' : 'policies'}${at}.`, '');
    lines.push('| Action | Cluster | Spec | Policy | Resource |', '| --- | --- | --- | --- | --- |');
    const sorted = [...plan.changes].sort((a, b) => `${a.cluster}/${a.spec}/${a.name}`.localeCompare(`${b.cluster}/${b.spec}/${b.name}`));
    for (const c of sorted) {
      const res = `${c.kind ?? 'ClusterPolicy'} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`;
      const pol = c.policyID ? `\`${mdCell(c.policyID)}${c.checkID ? `/${mdCell(c.checkID)}` : ''}\`` : '';
      lines.push(`| ${ICON[c.action]} | \`${mdCell(c.cluster)}\` | \`${mdCell(c.spec)}\` | ${pol} | \`${mdCell(res)}\` |`);
    }
    lines.push('');
    const withDiff = sorted.filter((c) => c.diff);
    for (const c of withDiff) {
      lines.push(`<details><summary>${c.action} <code>${mdCell(c.name)}</code> on <code>${mdCell(c.cluster)}</code></summary>`, '', fence(c.diff!, 'diff'), '', '</details>', '');
    }
  }
  lines.push(...impactSection(plan.impact ?? []));
  lines.push('_Updated by `kspec plan` on every push to this pull request._');
  let text = lines.join('\n') + '\n';
  if (text.length > MAX_COMMENT) text = `${text.slice(0, MAX_COMMENT - 100)}\n\n_…truncated._\n`;
  return text;
}

const CHANGE: Record<PolicyImpact['change'], string> = { create: 'add', change: 'change', delete: 'remove' };

/**
 * What merging does to the running workloads: one row per changed policy, and the example
 * resources folded away under each row that has any.
 */
function impactSection(impact: NonNullable<PlanResult['impact']>): string[] {
  const rows = impact.flatMap(({ cluster, spec, policies }) => policies.map((p) => ({ cluster, spec, p })));
  if (rows.length === 0) return [];
  const denied = rows.reduce((n, r) => n + r.p.wouldDeny, 0);
  const lines = ['### Impact on live resources', ''];
  lines.push(denied > 0 ? `⚠️ Merging this pull request would **deny ${denied}** live ${denied === 1 ? 'resource' : 'resources'} on their next create or update.` : 'Merging this pull request denies no live resource.', '');
  lines.push('| Cluster | Spec | Policy | Change | Mode | Violating | Would deny | No longer reported |', '| --- | --- | --- | --- | --- | ---: | ---: | ---: |');
  for (const { cluster, spec, p } of rows) {
    const name = `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.policy}`;
    lines.push(`| \`${mdCell(cluster)}\` | \`${mdCell(spec)}\` | \`${mdCell(name)}\`${p.notes?.length ? ' ⚠️' : ''} | ${CHANGE[p.change]} | ${p.mode} | ${p.violating} | ${p.wouldDeny > 0 ? `**${p.wouldDeny}**` : '0'} | ${p.noLongerReported} |`);
  }
  lines.push('');
  const item = (e: ImpactExample) => `- ${mdCell(e.kind)} \`${mdCell(`${e.namespace ? `${e.namespace}/` : ''}${e.name}`)}\`: ${mdCell(e.message)}`;
  for (const { cluster, p } of rows) {
    const where = `<code>${mdCell(p.policy)}</code> on <code>${mdCell(cluster)}</code>`;
    if (p.examples.length) {
      const what = p.wouldDeny > 0 ? `${p.wouldDeny} would be denied` : 'reported only';
      lines.push(`<details><summary>${p.violating} violating ${where} (${what})</summary>`, '', ...p.examples.map(item));
      if (p.violating > p.examples.length) lines.push(`- … and ${p.violating - p.examples.length} more`);
      lines.push('', '</details>', '');
    }
    if (p.noLongerReportedExamples?.length) {
      lines.push(`<details><summary>${p.noLongerReported} no longer reported by ${where}</summary>`, '', ...p.noLongerReportedExamples.map(item));
      if (p.noLongerReported > p.noLongerReportedExamples.length) lines.push(`- … and ${p.noLongerReported - p.noLongerReportedExamples.length} more`);
      lines.push('', '</details>', '');
    }
    for (const note of p.notes ?? []) lines.push(`> ⚠️ ${mdCell(note)}`, '');
  }
  return lines;
}

export interface PlanCommentResult {
  action: 'created' | 'updated' | 'unchanged';
  commentId: number;
  url: string;
}

/** Creates the plan comment on a PR, or updates the one that carries the marker. */
export async function upsertPlanComment(gh: GitHub, args: { pullNumber: number; plan?: PlanResult; body?: string; key?: string }): Promise<PlanCommentResult> {
  const marker = markerFor(args.key);
  const raw = args.body !== undefined ? `${args.body.includes(marker) ? '' : `${marker}\n`}${args.body}` : renderPlanComment(args.plan ?? { changes: [] }, { key: args.key });
  const body = redactSecrets(raw);
  const comments = await gh.octokit.paginate(gh.octokit.rest.issues.listComments, { owner: gh.owner, repo: gh.repo, issue_number: args.pullNumber, per_page: 100 });
  const mine = comments.find((c) => (c.body ?? '').includes(marker));
  if (mine) {
    if (mine.body === body) return { action: 'unchanged', commentId: mine.id, url: mine.html_url };
    const { data } = await gh.octokit.rest.issues.updateComment({ owner: gh.owner, repo: gh.repo, comment_id: mine.id, body });
    return { action: 'updated', commentId: data.id, url: data.html_url };
  }
  const { data } = await gh.octokit.rest.issues.createComment({ owner: gh.owner, repo: gh.repo, issue_number: args.pullNumber, body });
  return { action: 'created', commentId: data.id, url: data.html_url };
}
