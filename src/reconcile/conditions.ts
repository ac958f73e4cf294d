import type { Condition } from '../api/types.ts';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Sets conditions the Kubernetes way: lastTransitionTime only moves when status changes, so
 * `kubectl get` shows how long a spec has been Ready or Drifted.
 */
export function setConditions(previous: Condition[] | undefined, next: ConditionInput[], now: string, generation?: number): Condition[] {
  return next.map((condition) => {
    const before = previous?.find((c) => c.type === condition.type);
    const lastTransitionTime = before && before.status === condition.status ? before.lastTransitionTime : now;
    return { ...condition, lastTransitionTime, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
  });
}
