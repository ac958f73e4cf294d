// Running an expression set against one admission input, the way Kyverno's ValidatingPolicy
// engine does: matchConditions decide whether the policy applies (false → no result), then the
// validations run in order and the first one that is false fails the resource with its message.
// An expression that errors (or is not a bool) is an error result unless failurePolicy is Ignore.
import { buildActivation } from './activation.ts';
import type { AdmissionInput } from './activation.ts';
import type { ExpressionSet } from './expressions.ts';
import { celToText } from './values.ts';
import { PendingResolution } from '../context.ts';

export interface CelOutcome {
  status: 'pass' | 'fail' | 'error' | 'skip';
  message: string;
  auditAnnotations?: Record<string, string>;
}

class NotBool extends Error {}

function asBool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new NotBool(`${what} must evaluate to bool, got ${celToText(value)}`);
  return value;
}

function auditAnnotations(set: ExpressionSet, activation: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of set.auditAnnotations) {
    const v = a.program.evaluate(activation);
    if (v === null) continue;
    if (typeof v !== 'string') throw new Error(`auditAnnotation ${a.name} must evaluate to a string`);
    if (v !== '') out[a.name] = v;
  }
  return out;
}

/** The outcome, or null when a matchCondition is false (the policy does not apply). */
export function runExpressionSet(set: ExpressionSet, input: AdmissionInput, label: string): CelOutcome | null {
  const activation = buildActivation(input, set.variables);
  const errors: string[] = [];
  for (const c of set.matchConditions) {
    try {
      if (!asBool(c.program.evaluate(activation), `matchCondition ${c.name}`)) return null;
    } catch (err) {
      if (err instanceof PendingResolution) throw err;
      errors.push(`matchCondition ${c.name}: ${(err as Error).message}`);
    }
  }
  if (errors.length) return set.failurePolicy === 'Ignore' ? null : { status: 'error', message: errors.join('; ') };
  for (const [index, v] of set.validations.entries()) {
    let ok: boolean;
    try {
      ok = asBool(v.program.evaluate(activation), `validation ${index}`);
    } catch (err) {
      if (err instanceof PendingResolution) throw err;
      if (set.failurePolicy === 'Ignore') return null;
      return { status: 'error', message: `${label}: expression ${JSON.stringify(v.program.source.trim())} could not be evaluated: ${(err as Error).message}` };
    }
    if (ok) continue;
    let message = v.message;
    if (v.messageExpression) {
      try {
        const m = v.messageExpression.evaluate(activation);
        message = typeof m === 'string' ? m : `failed to convert message expression to string: ${celToText(m)}`;
      } catch (err) {
        if (err instanceof PendingResolution) throw err;
        message = `failed to evaluate message expression: ${(err as Error).message}`;
      }
    }
    if (message === '') message = `CEL expression validation failed at index ${index}`;
    try {
      return { status: 'fail', message, auditAnnotations: auditAnnotations(set, activation) };
    } catch (err) {
      return { status: 'error', message: (err as Error).message };
    }
  }
  try {
    return { status: 'pass', message: `${label} passed.`, auditAnnotations: auditAnnotations(set, activation) };
  } catch (err) {
    return { status: 'error', message: (err as Error).message };
  }
}
