import type { ConditionInput } from './conditions.ts';
import type { SpecOutcome } from './spec-outcome.ts';

/** The spec's Ready, Synced and Drifted conditions after a pass. Pure. */
export function conditionsOf(outcome: SpecOutcome): ConditionInput[] {
  const found = outcome.actions.length;
  const remaining = outcome.remaining.length;
  const ready: ConditionInput = outcome.plan.retired
    ? { type: 'Ready', status: 'False', reason: 'RemovedFromGit', message: `removed from Git at ${outcome.plan.sourceCommit.slice(0, 12)}; ${outcome.remaining.length} policies still carry its labels${outcome.mode === 'monitor' ? ' (monitor mode deletes nothing)' : ''}` }
    : outcome.phase === 'Active'
    ? { type: 'Ready', status: 'True', reason: 'Reconciled', message: `${outcome.inSync} policies in sync on ${outcome.cluster}` }
    : {
        type: 'Ready', status: 'False',
        reason: outcome.plan.errors.length ? (outcome.plan.desiredFrom === 'last-good' ? 'InvalidSpecLastGoodKept' : 'InvalidSpec') : `${capitalize(outcome.failedStage ?? 'reconcile')}Failed`,
        message: outcome.errors.slice(0, 5).join('; ').slice(0, 2000),
      };
  const synced: ConditionInput = remaining === 0
    ? { type: 'Synced', status: 'True', reason: 'InSync', message: 'the cluster matches the spec' }
    : { type: 'Synced', status: 'False', reason: outcome.mode === 'monitor' ? 'MonitorOnly' : 'DriftRemaining', message: `${remaining} policies differ from the spec` };
  const drifted: ConditionInput = found === 0
    ? { type: 'Drifted', status: 'False', reason: 'NoDrift', message: 'no drift detected in the last pass' }
    : { type: 'Drifted', status: 'True', reason: 'DriftDetected', message: summarize(outcome) };
  return [ready, synced, drifted];
}

function summarize(outcome: SpecOutcome): string {
  const count = (type: string) => outcome.actions.filter((a) => a.drift.type === type).length;
  return `${count('missing')} missing, ${count('modified')} modified, ${count('extra')} extra`;
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);
