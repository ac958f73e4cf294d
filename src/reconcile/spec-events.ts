// The Kubernetes Events of one spec's pass: at most one per reason, with how many and the first
// few names, so that 1,000 policies created make one Event, not 1,000. Per-policy detail lives in
// the DriftReport and in Git. Pure: the publish stage records what this returns.
import type { ActionOutcome } from './act.ts';

export interface SpecEvent {
  type: 'Normal' | 'Warning';
  reason: 'DriftDetected' | 'ActionFailed' | 'PolicyCreated' | 'PolicyReverted' | 'PolicyDeleted';
  message: string;
}

/** Names listed in an Event before "and N more". */
export const NAMES_PER_EVENT = 3;

const DONE: Partial<Record<ActionOutcome['action'], { reason: SpecEvent['reason']; verb: string }>> = {
  created: { reason: 'PolicyCreated', verb: 'created' },
  applied: { reason: 'PolicyReverted', verb: 'reverted' },
  deleted: { reason: 'PolicyDeleted', verb: 'deleted' },
};

/**
 * DriftDetected for drift new since the previous report (`fresh`), ActionFailed for actions that
 * failed, and one Event for each kind of action taken. Order: warnings first.
 */
export function specEvents(outcomes: ActionOutcome[], fresh: Set<ActionOutcome>, cluster: string): SpecEvent[] {
  const events: SpecEvent[] = [];
  const where = `on cluster ${cluster}`;
  const newDrift = outcomes.filter((o) => fresh.has(o));
  if (newDrift.length === 1) {
    const { drift } = newDrift[0];
    events.push({ type: 'Warning', reason: 'DriftDetected', message: `${drift.type}: ${drift.event.message}` });
  } else if (newDrift.length > 1) {
    const items = newDrift.map(({ drift }) => `${drift.type} ${what(drift.event)}`);
    events.push({ type: 'Warning', reason: 'DriftDetected', message: `${newDrift.length} new drifts ${where}: ${firstFew(items)}` });
  }
  const failed = outcomes.filter((o) => o.action === 'failed');
  if (failed.length) {
    const items = failed.map((o) => `${what(o.drift.event)}: ${o.error}`);
    events.push({ type: 'Warning', reason: 'ActionFailed', message: `${count(failed.length, 'action')} failed ${where}: ${firstFew(items, '; ')}` });
  }
  for (const action of ['created', 'applied', 'deleted'] as const) {
    const done = outcomes.filter((o) => o.action === action);
    if (!done.length) continue;
    const { reason, verb } = DONE[action]!;
    events.push({ type: 'Normal', reason, message: `${verb} ${count(done.length, 'policy', 'policies')} ${where}: ${firstFew(done.map((o) => what(o.drift.event)))}` });
  }
  return events;
}

function what(event: { resourceKind?: string; resourceNamespace?: string; resourceName: string }): string {
  return [event.resourceKind ?? 'ClusterPolicy', event.resourceNamespace, event.resourceName].filter(Boolean).join('/');
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "a, b, c and 97 more" */
export function firstFew(items: string[], separator = ', '): string {
  const shown = items.slice(0, NAMES_PER_EVENT).join(separator);
  return items.length > NAMES_PER_EVENT ? `${shown} and ${items.length - NAMES_PER_EVENT} more` : shown;
}
