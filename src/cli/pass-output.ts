import type { PassResult } from '../reconcile/pass.ts';
import type { SpecOutcome } from '../reconcile/spec-outcome.ts';
import { table, serialize } from './format.ts';
import type { OutputFormat } from './common-flags.ts';
import { isClean } from '../reconcile/spec-plan.ts';
import type { ImpactExample, PolicyImpact } from '../impact/policy-impact.ts';

const VERB: Record<string, { auto: string; report: string }> = {
  missing: { auto: 'create', report: 'report only' },
  modified: { auto: 'revert', report: 'report only' },
  extra: { auto: 'delete', report: 'report only' },
};
const SIGN: Record<string, string> = { missing: '+', modified: '~', extra: '-' };

/** The drift of a pass as a readable diff, the way `kubectl diff` reads. */
export function planText(result: PassResult): string {
  let out = '';
  for (const spec of result.specs) {
    const retired = spec.plan.retired ? ', removed from Git' : '';
    out += `${spec.plan.name} → cluster ${spec.cluster || '?'} (${spec.mode}${spec.remediation === 'report' ? ', report only' : ''}${retired})${spec.plan.sourceCommit ? ` @ ${spec.plan.sourceCommit.slice(0, 12)}` : ''}\n`;
    for (const error of spec.errors) out += `  ! ${error}\n`;
    for (const note of spec.notes) out += `  note: ${note}\n`;
    if (spec.actions.length === 0 && spec.errors.length === 0) out += `  no drift: ${spec.inSync} policies in sync\n`;
    const lines = spec.actions.map(({ drift, action, error }) => {
      const e = drift.event;
      const extraHeld = drift.type === 'extra' && !isClean(spec.plan);
      const planned = extraHeld ? 'kept: spec is failing' : VERB[drift.type][spec.remediation];
      const verb = action === 'none' || action === 'dry-run' ? planned : action === 'failed' ? `failed: ${error}` : action;
      return `  ${SIGN[drift.type]} ${e.resourceKind}/${e.resourceNamespace ? `${e.resourceNamespace}/` : ''}${e.resourceName}  ${drift.type} (${verb})`;
    });
    // The impact column: what each policy change does to the live resources (plan only).
    const width = Math.max(0, ...lines.map((l) => l.length));
    for (const [i, { drift }] of spec.actions.entries()) {
      const e = drift.event;
      const impact = spec.impact?.find((p) => p.kind === e.resourceKind && p.policy === e.resourceName && p.namespace === e.resourceNamespace);
      out += impact ? `${lines[i].padEnd(width)}  ${impactText(impact)}\n${impactExamples(impact)}` : `${lines[i]}\n`;
      for (const field of e.fields ?? []) out += `      ${field.path}: ${field.live ?? '<absent>'} → ${field.desired ?? '<absent>'}\n`;
      if (e.diff) out += indent(e.diff.split('\n').filter((l) => !l.startsWith('====')).join('\n'), '      ');
    }
    out += '\n';
  }
  return out;
}

/** The impact column of a plan line: how many live resources the change denies, reports or stops reporting. */
export function impactText(impact: PolicyImpact): string {
  const parts: string[] = [];
  if (impact.change !== 'delete') {
    parts.push(impact.violating === 0 ? `${impact.mode === 'enforce' ? 'would deny 0: ' : ''}no live resource violates it` : impact.wouldDeny > 0 ? `would deny ${impact.wouldDeny} of ${impact.violating} violating` : `${impact.violating} violating, reported only (${impact.mode})`);
  }
  if (impact.noLongerReported > 0 || impact.change === 'delete') parts.push(`stops reporting ${impact.noLongerReported}`);
  return `${parts.join('; ')}${impact.notes?.length ? ' (incomplete, see notes)' : ''}`;
}

function impactExamples(impact: PolicyImpact): string {
  const line = (verb: string, e: ImpactExample) => `      ${verb} ${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}: ${e.message}\n`;
  const deniedFirst = impact.examples.map((e, i) => line(i < impact.wouldDeny ? 'denies' : 'reports', e)).join('');
  const more = impact.violating > impact.examples.length ? `      … and ${impact.violating - impact.examples.length} more\n` : '';
  const stopped = (impact.noLongerReportedExamples ?? []).map((e) => line('no longer reports', e)).join('');
  return deniedFirst + more + stopped + (impact.notes ?? []).map((n) => `      note: ${n}\n`).join('');
}

/** One line per spec after a pass, plus totals. */
export function summaryText(result: PassResult): string {
  const rows = result.specs.map((s) => [
    s.plan.name,
    s.cluster,
    s.mode,
    s.phase,
    String(s.inSync),
    count(s, 'missing'),
    count(s, 'modified'),
    count(s, 'extra'),
    s.actions.filter((a) => ['created', 'applied', 'deleted'].includes(a.action)).length.toString(),
    `${s.compliance?.status?.complianceScore ?? 0}%`,
  ]);
  let out = table(['SPEC', 'CLUSTER', 'MODE', 'PHASE', 'IN-SYNC', 'MISSING', 'MODIFIED', 'EXTRA', 'FIXED', 'SCORE'], rows);
  for (const s of result.specs) for (const e of s.errors) out += `${s.plan.name}: ${e}\n`;
  if (result.fetchError) out += `source: ${result.fetchError}\n`;
  return out;
}

export function structured(result: PassResult, format: Exclude<OutputFormat, 'table'>): string {
  return serialize(
    {
      commit: result.commit,
      ok: result.ok,
      ...(result.fetchError ? { fetchError: result.fetchError } : {}),
      specs: result.specs.map((s) => ({
        spec: s.plan.name,
        namespace: s.plan.namespace,
        cluster: s.cluster,
        mode: s.mode,
        remediation: s.remediation,
        phase: s.phase,
        errors: s.errors,
        drift: s.drift?.status,
        compliance: s.compliance?.status,
        ...(s.impact ? { impact: s.impact } : {}),
      })),
    },
    format,
  );
}

const count = (s: SpecOutcome, type: string) => String(s.actions.filter((a) => a.drift.type === type).length);
const indent = (text: string, pad: string) => text.split('\n').filter((l) => l !== '').map((l) => pad + l).join('\n') + '\n';
