import type { DriftAction } from '../api/types.ts';
import type { Drift } from '../drift/detect.ts';
import type { PolicyWrites } from '../cluster/target-port.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';

export interface ActOptions {
  /** remediation auto: make the target match; report: write nothing to it. */
  remediate: boolean;
  /** Extra policies are deleted only when the desired state comes cleanly from Git. */
  mayPrune: boolean;
  dryRun: boolean;
}

export interface ActionOutcome {
  drift: Drift;
  action: DriftAction;
  error?: string;
  /** The policy as the API server stored it after a create or revert (not after a dry run). */
  stored?: KyvernoPolicy;
}

/**
 * Remediate (both enforcement modes; the rendered policies carry the mode's failure action):
 * create what is missing, put back what was modified, delete what is extra, all at once:
 * the cluster's client-side limits (--kube-api-qps, --kube-api-burst) pace the requests.
 * Report-only: nothing. One failed action does not stop the others; outcomes keep the drifts' order.
 */
export function act(drifts: Drift[], target: PolicyWrites, options: ActOptions): Promise<ActionOutcome[]> {
  return Promise.all(drifts.map((drift) => actOn(drift, target, options)));
}

async function actOn(drift: Drift, target: PolicyWrites, options: ActOptions): Promise<ActionOutcome> {
  if (!options.remediate || (drift.type === 'extra' && !options.mayPrune)) return { drift, action: 'none' };
  try {
    let stored: KyvernoPolicy | undefined;
    if (drift.type === 'missing') stored = await target.create(drift.desired.object, options.dryRun);
    else if (drift.type === 'modified') stored = await target.revert(drift.desired.object, drift.live, options.dryRun);
    else await target.delete(drift.live, options.dryRun);
    if (options.dryRun) return { drift, action: 'dry-run' };
    const done = drift.type === 'missing' ? 'created' : drift.type === 'modified' ? 'applied' : 'deleted';
    return { drift, action: done, ...(stored ? { stored } : {}) };
  } catch (err) {
    return { drift, action: 'failed', error: (err as Error).message };
  }
}
