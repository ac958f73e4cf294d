import type { ServerFormCache, ServerForms, StoredFormSource } from '../cluster/server-form.ts';
import { detectDrift } from '../drift/detect.ts';
import type { DriftResult } from '../drift/detect.ts';
import { policyKey } from '../render/desired-policy.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import type { ActionOutcome } from './act.ts';
import type { SpecPlan } from './spec-plan.ts';

export interface Observed {
  found: DriftResult;
  /** Policies compared without their server form, and why. */
  unavailable: ServerForms['unavailable'];
}

/**
 * server form → diff: compares the spec's live policies (observed once per target, see
 * TargetObservation) with the desired ones as the API server stores them. An unknown server form
 * falls back on the normalizer table, never on fewer policies.
 */
export async function observeDrift(plan: SpecPlan, live: KyvernoPolicy[], policies: StoredFormSource, forms: ServerFormCache, cluster: string, now: string): Promise<Observed> {
  const liveKeys = new Set(live.map(policyKey));
  // Only a policy that exists is compared; a missing one is created from the desired policy.
  const existing = plan.desired.filter((d) => liveKeys.has(policyKey(d.object)));
  const stored = await forms.formsOf(cluster, policies, existing);
  let found = detectDrift(plan.desired, live, now, stored.specs);

  // A drift verdict against a form from an earlier pass is checked against a fresh one: a
  // Kyverno upgrade may have changed what the server stores, and kspec must not fight it.
  const stale = new Set(found.drifts.flatMap((d) => (d.type === 'modified' && stored.cached.has(policyKey(d.desired.object)) ? [policyKey(d.desired.object)] : [])));
  if (stale.size > 0) {
    const fresh = await forms.formsOf(cluster, policies, existing.filter((d) => stale.has(policyKey(d.object))), stale);
    for (const [key, spec] of fresh.specs) stored.specs.set(key, spec);
    stored.unavailable.push(...fresh.unavailable.filter((u) => !stored.specs.has(u.policy)));
    found = detectDrift(plan.desired, live, now, stored.specs);
  }
  return { found, unavailable: stored.unavailable };
}

/** One line saying which policies were compared without their server form, or nothing. */
export function withoutServerFormNote(unavailable: Observed['unavailable']): string | undefined {
  if (unavailable.length === 0) return undefined;
  const reasons = [...new Set(unavailable.map((u) => u.reason))];
  return `${unavailable.length} policies compared without their server form (dry run refused: ${reasons.join('; ')}); kspec's table of Kyverno defaults decided what is drift for them`;
}

/**
 * The spec's live policies after acting, from what the API server answered to each write: a
 * created or applied policy as stored, a deleted one gone, the rest as observed. Confirming this
 * way costs no second LIST.
 */
export function liveAfterActions(live: KyvernoPolicy[], actions: ActionOutcome[]): KyvernoPolicy[] {
  const gone = new Set<string>();
  const written: KyvernoPolicy[] = [];
  for (const { drift, action, stored } of actions) {
    if (action === 'deleted' && drift.type === 'extra') gone.add(policyKey(drift.live));
    if ((action === 'created' || action === 'applied') && stored) {
      gone.add(policyKey(stored));
      written.push(stored);
    }
  }
  return [...live.filter((p) => !gone.has(policyKey(p))), ...written].sort((a, b) => policyKey(a).localeCompare(policyKey(b)));
}
