// The expression blocks shared by ValidatingPolicies and `validate.cel` rules: matchConditions,
// variables, validations (message / messageExpression / reason) and auditAnnotations, each
// compiled once. A block that does not compile makes the policy invalid, naming the field.
import { isObject } from '../jmespath/values.ts';
import { compileCel } from './environment.ts';
import type { CelProgram } from './environment.ts';

export interface NamedProgram {
  name: string;
  program: CelProgram;
}

export interface Validation {
  program: CelProgram;
  message: string;
  messageExpression: CelProgram | null;
  reason: string;
}

export interface ExpressionSet {
  matchConditions: NamedProgram[];
  variables: NamedProgram[];
  validations: Validation[];
  auditAnnotations: NamedProgram[];
  /** Fail (the default) turns evaluation errors into error results; Ignore skips the resource. */
  failurePolicy: 'Fail' | 'Ignore';
}

function list(raw: unknown, where: string): Record<string, unknown>[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${where} must be a list`);
  return raw.map((e, i) => {
    if (!isObject(e)) throw new Error(`${where}[${i}] must be an object`);
    return e;
  });
}

function program(raw: unknown, where: string): CelProgram {
  if (typeof raw !== 'string' || raw.trim() === '') throw new Error(`${where} must be a non-empty CEL expression`);
  try {
    return compileCel(raw);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

function named(raw: unknown, where: string, nameKey: string, exprKey: string): NamedProgram[] {
  return list(raw, where).map((e, i) => {
    if (typeof e[nameKey] !== 'string' || e[nameKey] === '') throw new Error(`${where}[${i}].${nameKey} is required`);
    return { name: e[nameKey] as string, program: program(e[exprKey], `${where}[${i}].${exprKey}`) };
  });
}

export interface ExpressionFields {
  matchConditions?: unknown;
  variables?: unknown;
  validations: unknown;
  auditAnnotations?: unknown;
  failurePolicy?: unknown;
}

/** Compiles the blocks; `where` prefixes every error ("spec", "rule x: validate.cel"). */
export function compileExpressionSet(fields: ExpressionFields, where: string, validationsKey = 'validations'): ExpressionSet {
  const validations = list(fields.validations, `${where}.${validationsKey}`).map((v, i): Validation => {
    const at = `${where}.${validationsKey}[${i}]`;
    return {
      program: program(v.expression, `${at}.expression`),
      message: typeof v.message === 'string' ? v.message.trim() : '',
      messageExpression: v.messageExpression === undefined || v.messageExpression === null ? null : program(v.messageExpression, `${at}.messageExpression`),
      reason: typeof v.reason === 'string' ? v.reason : '',
    };
  });
  return {
    matchConditions: named(fields.matchConditions, `${where}.matchConditions`, 'name', 'expression'),
    variables: named(fields.variables, `${where}.variables`, 'name', 'expression'),
    validations,
    auditAnnotations: named(fields.auditAnnotations, `${where}.auditAnnotations`, 'key', 'valueExpression'),
    failurePolicy: fields.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail',
  };
}
