import type { EnforcementMode } from '../api/types.ts';

/**
 * A ValidatingPolicy says what a violation does with spec.validationActions instead of a failure
 * action: enforce denies the request, monitor only audits it (the policy report records it).
 */
export function validationActionsFor(mode: EnforcementMode): ['Deny'] | ['Audit'] {
  return mode === 'enforce' ? ['Deny'] : ['Audit'];
}

export function withValidationActions(spec: Record<string, unknown>, mode: EnforcementMode): Record<string, unknown> {
  return { ...spec, validationActions: validationActionsFor(mode) };
}
