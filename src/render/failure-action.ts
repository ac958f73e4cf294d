import type { EnforcementMode } from '../api/types.ts';
import { isValidatingPolicy } from '../engine/cel/validating-policy-kind.ts';

export type FailureAction = 'Enforce' | 'Audit';
type Fields = Record<string, unknown>;

/** enforce blocks admission of violating resources; monitor only reports them. */
export function failureActionFor(mode: EnforcementMode): FailureAction {
  return mode === 'enforce' ? 'Enforce' : 'Audit';
}

/**
 * Gives the policy the failure action of the spec's mode everywhere Kyverno reads one: the
 * legacy spec.validationFailureAction, and each rule's validate.failureAction and
 * verifyImages[].failureAction where the author set one (Kyverno 1.13 moved it to the rule,
 * which then wins over the policy's).
 *
 * In monitor mode nothing may block, so the per-namespace overrides that say Enforce
 * (spec.validationFailureActionOverrides, validate.failureActionOverrides) are dropped;
 * Audit overrides are harmless and kept. Enforce mode keeps the author's overrides, which
 * may deliberately audit some namespaces.
 */
export function withFailureAction(spec: Fields, mode: EnforcementMode): Fields {
  const action = failureActionFor(mode);
  const rules = Array.isArray(spec.rules) ? spec.rules.map((rule: Fields) => ruleWithFailureAction(rule, mode)) : spec.rules;
  const out: Fields = { ...spec, validationFailureAction: action, ...(rules !== undefined ? { rules } : {}) };
  return mode === 'monitor' ? withoutEnforceOverrides(out, 'validationFailureActionOverrides') : out;
}

function ruleWithFailureAction(rule: Fields, mode: EnforcementMode): Fields {
  if (!rule || typeof rule !== 'object') return rule;
  const action = failureActionFor(mode);
  let out = rule;
  const validate = rule.validate as Fields | undefined;
  if (validate && typeof validate === 'object') {
    let next = 'failureAction' in validate ? { ...validate, failureAction: action } : validate;
    if (mode === 'monitor') next = withoutEnforceOverrides(next, 'failureActionOverrides');
    if (next !== validate) out = { ...out, validate: next };
  }
  if (Array.isArray(rule.verifyImages)) {
    const verifyImages = rule.verifyImages.map((v: Fields) => (v && typeof v === 'object' && 'failureAction' in v ? { ...v, failureAction: action } : v));
    out = { ...out, verifyImages };
  }
  return out;
}

/** The object without the Enforce entries of its overrides list (and without the list once empty). */
function withoutEnforceOverrides(object: Fields, field: string): Fields {
  const overrides = object[field];
  if (!Array.isArray(overrides)) return object;
  const kept = overrides.filter((o: Fields) => String(o?.action ?? '').toLowerCase() !== 'enforce');
  if (kept.length === overrides.length) return object;
  const { [field]: _dropped, ...rest } = object;
  return kept.length ? { ...rest, [field]: kept } : rest;
}

/**
 * Whether each rule of a Kyverno policy blocks (Enforce) or reports (Audit), as Kyverno decides:
 * a rule's `validate.failureAction` (Kyverno 1.13+) wins over the policy's
 * `spec.validationFailureAction`, and Audit is the default. Autogen rules follow their source rule.
 * A ValidatingPolicy blocks when spec.validationActions includes Deny.
 */
export function failureActions(policy: Record<string, unknown>): (rule: string) => FailureAction {
  const asAction = (v: unknown): FailureAction | undefined => (typeof v !== 'string' ? undefined : v.toLowerCase() === 'enforce' ? 'Enforce' : v.toLowerCase() === 'audit' ? 'Audit' : undefined);
  const spec = (policy.spec ?? {}) as Record<string, unknown>;
  if (isValidatingPolicy(policy)) return () => (Array.isArray(spec.validationActions) && spec.validationActions.includes('Deny') ? 'Enforce' : 'Audit');
  const policyAction = asAction(spec.validationFailureAction) ?? 'Audit';
  const byRule = new Map<string, FailureAction>();
  for (const rule of Array.isArray(spec.rules) ? spec.rules : []) {
    const r = (rule ?? {}) as { name?: unknown; validate?: { failureAction?: unknown } };
    const action = asAction(r.validate?.failureAction);
    if (typeof r.name === 'string' && action) byRule.set(r.name, action);
  }
  return (rule) => byRule.get(rule.replace(/^autogen-(cronjob-)?/, '')) ?? byRule.get(rule) ?? policyAction;
}
