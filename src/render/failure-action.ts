import type { EnforcementMode } from '../api/types.ts';

/** enforce blocks admission of violating resources; monitor only reports them. */
export function failureActionFor(mode: EnforcementMode): 'Enforce' | 'Audit' {
  return mode === 'enforce' ? 'Enforce' : 'Audit';
}

/**
 * Sets the failure action on the policy's legacy spec.validationFailureAction and on every
 * rule's validate.failureAction that is present (Kyverno 1.13 moved it to the rule).
 */
export function withFailureAction(spec: Record<string, unknown>, mode: EnforcementMode): Record<string, unknown> {
  const action = failureActionFor(mode);
  const rules = Array.isArray(spec.rules)
    ? spec.rules.map((rule: Record<string, unknown>) => {
        const validate = rule?.validate as Record<string, unknown> | undefined;
        if (!validate || !('failureAction' in validate)) return rule;
        return { ...rule, validate: { ...validate, failureAction: action } };
      })
    : spec.rules;
  return { ...spec, validationFailureAction: action, ...(rules !== undefined ? { rules } : {}) };
}
