// The impact stage of `kspec plan`: for each spec the plan would change, the policies it would
// create, change or delete, evaluated against the live resources of the spec's target through
// the observation the pass already made of that target.
import type { PassResult } from '../reconcile/pass.ts';
import type { SpecOutcome } from '../reconcile/spec-outcome.ts';
import { isClean } from '../reconcile/spec-plan.ts';
import { observeResources } from './observe-resources.ts';
import { policyImpact } from './policy-impact.ts';
import type { PolicyChange, PolicyImpact } from './policy-impact.ts';

/** Sets `impact` on every spec whose plan changes policies on a reachable target. */
export async function addPlanImpact(result: PassResult, signal?: AbortSignal): Promise<void> {
  await Promise.all(result.specs.map(async (outcome) => {
    const observation = outcome.target?.port?.observe();
    const changes = plannedChanges(outcome);
    if (!observation || changes.length === 0) return;
    try {
      const observed = await observeResources(observation, changes.flatMap((c) => [c.desired, c.previous].filter((p) => p !== undefined)), signal ? { signal } : {});
      outcome.impact = policyImpact(changes, observed);
    } catch (err) {
      outcome.notes.push(`impact not computed: ${(err as Error).message}`);
    }
  }));
}

/**
 * The policies the pass would write: none for a report-only spec, and no deletion while the
 * spec is failing (its extra policies are kept then).
 */
export function plannedChanges(outcome: Pick<SpecOutcome, 'actions' | 'remediation' | 'plan'>): PolicyChange[] {
  if (outcome.remediation !== 'auto') return [];
  const ids = (event: { policyID?: string; checkID?: string }) => ({ ...(event.policyID ? { policyID: event.policyID } : {}), ...(event.checkID ? { checkID: event.checkID } : {}) });
  return outcome.actions.flatMap(({ drift }): PolicyChange[] => {
    if (drift.type === 'missing') return [{ change: 'create', desired: drift.desired.object, ...ids(drift.event) }];
    if (drift.type === 'modified') return [{ change: 'change', desired: drift.desired.object, previous: drift.live, ...ids(drift.event) }];
    return isClean(outcome.plan) ? [{ change: 'delete', previous: drift.live, ...ids(drift.event) }] : [];
  });
}

export type { PolicyImpact };
