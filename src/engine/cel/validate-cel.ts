// `validate.cel` rules of Kyverno ClusterPolicies and Policies: the same expression blocks as a
// ValidatingPolicy (expressions, variables, auditAnnotations, paramKind / paramRef), matched by
// the rule's classic match / exclude, with `celPreconditions` as match conditions. A rule whose
// celPreconditions are false is skipped; a validation without a message uses validate.message.
import { isObject } from '../jmespath/values.ts';
import { compileExpressionSet } from './expressions.ts';
import { compileParams } from './params.ts';
import type { CelRule } from './rule.ts';

export function compileValidateCel(rule: Record<string, unknown>, validate: Record<string, unknown>, policyName: string, policyKind: string, where: string): CelRule {
  const cel = isObject(validate.cel) ? validate.cel : null;
  if (!cel) throw new Error(`${where}.cel must be an object`);
  if (!Array.isArray(cel.expressions) || cel.expressions.length === 0) throw new Error(`${where}.cel.expressions must be a non-empty list`);
  const fallback = typeof validate.message === 'string' ? validate.message : '';
  const expressions = cel.expressions.map((e) => (isObject(e) && !e.message && fallback ? { ...e, message: fallback } : e));
  return {
    constraints: null,
    expressions: compileExpressionSet(
      { matchConditions: rule.celPreconditions, variables: cel.variables, validations: expressions, auditAnnotations: cel.auditAnnotations },
      `${where}.cel`,
      'expressions',
    ),
    params: compileParams(cel.paramKind, cel.paramRef, `${where}.cel`),
    policyName,
    policyKind,
  };
}
