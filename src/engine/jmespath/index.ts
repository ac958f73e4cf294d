// JMESPath with Kyverno's custom functions.
import { parse } from './parser.ts';
import { Interpreter, NotFoundError } from './interpreter.ts';
import type { JFunction } from './interpreter.ts';
import { builtinFunctions } from './functions.ts';
import { kyvernoFunctions, operatorArithmetic } from './kyverno-functions.ts';
import { JMESPathError } from './lexer.ts';

export { parse, NotFoundError, JMESPathError };
export type { Node } from './parser.ts';

const functions = new Map<string, JFunction>([...builtinFunctions(), ...kyvernoFunctions()]);
const interpreter = new Interpreter(functions);
interpreter.arithmetic = operatorArithmetic;

/** Evaluates a JMESPath expression against data. Throws NotFoundError for missing keys on a path. */
export function search(expression: string, data: unknown): unknown {
  return interpreter.search(parse(expression), data);
}

export function functionNames(): string[] {
  return [...functions.keys()].sort();
}
