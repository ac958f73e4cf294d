import type { ConditionInput } from './conditions.ts';
import type { SpecOutcome } from './spec-outcome.ts';
import type { ActionOutcome } from './act.ts';
import { isClean } from './spec-plan.ts';

/**
 * The spec's conditions after a pass. Each answers one question, so they never contradict:
 *
 *   Ready    did the last pass complete every stage (observe, act, assess, publish)?
 *   Drifted  did the last pass find drift, before acting on it?        (what was found)
 *   Synced   does the cluster match the spec now, after kspec acted?   (what stands now)
 *
 * Synced's reason and message say what was done: Corrected when kspec fixed what it found.
 * Pure.
 */
export function conditionsOf(outcome: SpecOutcome): ConditionInput[] {
  return [ready(outcome), synced(outcome), drifted(outcome)];
}

function ready(outcome: SpecOutcome): ConditionInput {
  if (outcome.plan.retired) {
    return { type: 'Ready', status: 'False', reason: 'RemovedFromGit', message: `removed from Git at ${outcome.plan.sourceCommit.slice(0, 12)}; ${outcome.remaining.length} policies still carry its labels${outcome.remediation === 'report' ? ' (remediation report deletes nothing)' : ''}` };
  }
  if (outcome.phase === 'Active') return { type: 'Ready', status: 'True', reason: 'Reconciled', message: `${outcome.inSync} policies in sync on ${outcome.cluster}` };
  const kept = outcome.plan.desiredFrom === 'last-good';
  if (outcome.plan.sourceUnavailable) {
    // Git is down, answers errors or lost the branch: nothing from it can be trusted this pass.
    const held = kept ? `; keeping the last good state from commit ${outcome.plan.sourceCommit.slice(0, 12)}, nothing is pruned` : '';
    return { type: 'Ready', status: 'False', reason: kept ? 'SourceUnavailableLastGoodKept' : 'SourceUnavailable', message: `${outcome.plan.sourceUnavailable}${held}`.slice(0, 2000) };
  }
  const reason = outcome.plan.errors.length ? (kept ? 'InvalidSpecLastGoodKept' : 'InvalidSpec') : `${capitalize(outcome.failedStage ?? 'reconcile')}Failed`;
  return { type: 'Ready', status: 'False', reason, message: outcome.errors.slice(0, 5).join('; ').slice(0, 2000) };
}

function drifted(outcome: SpecOutcome): ConditionInput {
  if (!observed(outcome)) return { type: 'Drifted', status: 'Unknown', reason: 'NotObserved', message: 'the last pass could not read the policies in the cluster' };
  if (outcome.actions.length === 0) return { type: 'Drifted', status: 'False', reason: 'NoDrift', message: 'the last pass found no drift' };
  const found = outcome.actions.map((a) => a.drift);
  return { type: 'Drifted', status: 'True', reason: 'DriftFound', message: `the last pass found ${byType(found)}` };
}

function synced(outcome: SpecOutcome): ConditionInput {
  if (!observed(outcome)) return { type: 'Synced', status: 'Unknown', reason: 'NotObserved', message: 'the last pass could not read the policies in the cluster' };
  const remaining = outcome.remaining.length;
  if (remaining === 0) {
    const fixed = (action: ActionOutcome['action']) => outcome.actions.filter((a) => a.action === action).length;
    if (outcome.actions.length === 0) return { type: 'Synced', status: 'True', reason: 'InSync', message: `all ${outcome.inSync} policies match the spec` };
    return { type: 'Synced', status: 'True', reason: 'Corrected', message: `kspec created ${fixed('created')}, reverted ${fixed('applied')} and deleted ${fixed('deleted')} policies; all ${outcome.inSync} policies now match the spec` };
  }
  const still = `still differing from the spec: ${byType(outcome.remaining)}`;
  if (outcome.actions.some((a) => a.action === 'failed')) return { type: 'Synced', status: 'False', reason: 'ActionFailed', message: `${still} (some changes failed; see Ready)` };
  if (outcome.remediation === 'report') return { type: 'Synced', status: 'False', reason: 'ReportOnly', message: `${still} (remediation report changes nothing)` };
  if (!isClean(outcome.plan)) return { type: 'Synced', status: 'False', reason: 'SpecFailing', message: `${still} (extra policies are kept while the spec is failing)` };
  return { type: 'Synced', status: 'False', reason: 'DriftRemaining', message: still };
}

/** Whether this pass read the spec's policies in the cluster at all. */
function observed(outcome: SpecOutcome): boolean {
  return Boolean(outcome.target?.port) && outcome.plan.desiredFrom !== 'none' && outcome.failedStage !== 'target' && outcome.failedStage !== 'observe';
}

function byType(drifts: { type: string }[]): string {
  const count = (type: string) => drifts.filter((d) => d.type === type).length;
  return `${count('missing')} missing, ${count('modified')} modified, ${count('extra')} extra`;
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);
