import type { Logger } from '../log.ts';
import type { ActionOutcome } from './act.ts';

const DONE: Record<string, string> = { created: 'created policy', applied: 'reverted policy', deleted: 'deleted policy' };

/**
 * One log line per thing kspec did to a cluster: info for a policy created, reverted (a modified
 * policy applied back) or deleted, warn for one it was refused. The logger carries cluster and
 * spec; each line adds the policy and the commit its desired state comes from. Drift left alone
 * (a report-only spec, a dry run) is the DriftReport's business, not the log's.
 */
export function logActions(actions: ActionOutcome[], commit: string, log: Logger): void {
  for (const { drift, action, error } of actions) {
    const e = drift.event;
    const fields = {
      policy: `${e.resourceKind ?? 'ClusterPolicy'}/${e.resourceNamespace ? `${e.resourceNamespace}/` : ''}${e.resourceName}`,
      ...(e.policyID ? { policyID: e.policyID } : {}),
      ...(e.checkID ? { checkID: e.checkID } : {}),
      drift: drift.type,
      ...(commit ? { commit: commit.slice(0, 12) } : {}),
    };
    if (action === 'failed') log.warn('refused: policy not changed', { ...fields, error });
    else if (DONE[action]) log.info(DONE[action], fields);
  }
}
