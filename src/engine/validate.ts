// Running one rule's `validate` block (and, recursively, its foreach entries) against a context:
// deny conditions, pattern / anyPattern and foreach, with Kyverno's result messages.
import { evaluateConditions } from './conditions.ts';
import { loadContextEntries, PendingResolution } from './context.ts';
import type { ResolutionCache } from './context.ts';
import { compilePattern, matchPattern } from './pattern.ts';
import type { PatternNode } from './pattern.ts';
import { setContextValue, substituteAll, SubstitutionError } from './variables.ts';
import type { Context } from './variables.ts';
import { search } from './jmespath/index.ts';
import { isObject } from './jmespath/values.ts';
import type { CompiledForeach, CompiledPattern, CompiledValidation, ContextEntry, Resolvers } from './types.ts';
import type { CompiledConditions } from './conditions.ts';

export type Status = 'pass' | 'fail' | 'skip' | 'error';
export interface Outcome { status: Status; message: string }

export interface RunEnv {
  ruleName: string;
  /** The rule's validate.message (foreach failures report it too). */
  ruleMessage: string;
  resource: Record<string, unknown>;
  resolvers: Resolvers | undefined;
  cache: ResolutionCache | undefined;
  /** Context entry names provided by values; they are not loaded. */
  provided: Set<string>;
  /** Values for each foreach iteration (the CLI's `foreachValues`): element N sees entry N of each list. */
  foreachValues?: Record<string, unknown[]>;
}

const dynamicPatterns = new Map<string, PatternNode>();

function resolvePattern(p: CompiledPattern, ctx: Context): PatternNode {
  if (p.node) return p.node;
  const substituted = substituteAll(p.raw, ctx);
  const key = JSON.stringify(substituted);
  let node = dynamicPatterns.get(key);
  if (!node) {
    node = compilePattern(substituted);
    if (dynamicPatterns.size > 2000) dynamicPatterns.clear();
    dynamicPatterns.set(key, node);
  }
  return node;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function rethrowPending(err: unknown): void {
  if (err instanceof PendingResolution) throw err;
}

function substitutedMessage(message: string, ctx: Context): string | SubstitutionError {
  try {
    const v = substituteAll(message, ctx);
    return typeof v === 'string' ? v : JSON.stringify(v);
  } catch (err) {
    rethrowPending(err);
    return err instanceof SubstitutionError ? err : new SubstitutionError('', errText(err));
  }
}

function patternFailureMessage(env: RunEnv, ctx: Context, detail: string, path: string): string {
  if (!env.ruleMessage) {
    return path ? `validation error: rule ${env.ruleName} failed at path ${path}` : `validation error: rule ${env.ruleName} execution error: ${detail}`;
  }
  const msg = substitutedMessage(env.ruleMessage, ctx);
  if (msg instanceof SubstitutionError) return `validation error: variables substitution error in rule ${env.ruleName} execution error: ${detail}`;
  const m = msg.endsWith('.') ? msg : msg + '.';
  return path ? `validation error: ${m} rule ${env.ruleName} failed at path ${path}` : `validation error: ${m} rule ${env.ruleName} execution error: ${detail}`;
}

function denyMessage(env: RunEnv, ctx: Context, condMsg: string): string {
  if (!env.ruleMessage && !condMsg) return `validation error: rule ${env.ruleName} failed`;
  const joined = [env.ruleMessage, condMsg].filter((s) => s).join('; ');
  const msg = substitutedMessage(joined, ctx);
  return msg instanceof SubstitutionError ? condMsg : msg;
}

function validatePatterns(v: CompiledValidation, env: RunEnv, ctx: Context, target: unknown): Outcome {
  if (v.pattern) {
    const node = resolvePattern(v.pattern, ctx);
    const r = matchPattern(target, node);
    if (r.ok) return { status: 'pass', message: `validation rule '${env.ruleName}' passed.` };
    if (r.skip) return { status: 'skip', message: r.message };
    if (!r.path) return { status: 'error', message: patternFailureMessage(env, ctx, r.message, '') };
    return { status: 'fail', message: patternFailureMessage(env, ctx, r.message, r.path) };
  }
  const patterns = v.anyPattern ?? [];
  const failed: string[] = [];
  const skipped: string[] = [];
  for (let i = 0; i < patterns.length; i++) {
    const r = matchPattern(target, resolvePattern(patterns[i], ctx));
    if (r.ok) return { status: 'pass', message: `validation rule '${env.ruleName}' anyPattern[${i}] passed.` };
    if (r.skip) skipped.push(`rule ${env.ruleName}[${i}] skipped: ${r.message}`);
    else if (!r.path) failed.push(`rule ${env.ruleName}[${i}] failed: ${r.message}`);
    else failed.push(`rule ${env.ruleName}[${i}] failed at path ${r.path}`);
  }
  if (failed.length === 0 && skipped.length > 0) return { status: 'skip', message: skipped.join(' ') };
  if (failed.length > 0) {
    const errStr = failed.join(' ');
    const msg = !env.ruleMessage ? `validation error: ${errStr}` : env.ruleMessage.endsWith('.') ? `validation error: ${env.ruleMessage} ${errStr}` : `validation error: ${env.ruleMessage}. ${errStr}`;
    return { status: 'fail', message: msg };
  }
  return { status: 'pass', message: env.ruleMessage };
}

/**
 * Kyverno's validator: context, preconditions, then deny, pattern/anyPattern or foreach.
 * Returns null when there is nothing to report.
 */
export function runValidator(
  v: CompiledValidation,
  contextEntries: ContextEntry[],
  preconditions: CompiledConditions | null,
  env: RunEnv,
  ctx: Context,
  element: unknown,
  nesting: number,
): Outcome | null {
  try {
    loadContextEntries(contextEntries, ctx, env.resolvers, env.provided, env.cache);
  } catch (err) {
    rethrowPending(err);
    return { status: 'error', message: `failed to load context: ${errText(err)}` };
  }
  const pre = evaluateConditions(preconditions, ctx);
  if (!pre.passed) return { status: 'skip', message: ['preconditions not met', pre.message].filter((s) => s).join('; ') };

  if (v.denyPresent) {
    const res = evaluateConditions(v.deny, ctx);
    // Deny conditions deny when they hold; an empty deny always denies.
    if (res.passed) return { status: 'fail', message: denyMessage(env, ctx, res.message) };
    return { status: 'pass', message: `validation rule '${env.ruleName}' passed.` };
  }

  if (v.pattern || v.anyPattern) {
    const target = element !== undefined && isObject(element) ? element : env.resource;
    try {
      return validatePatterns(v, env, ctx, target);
    } catch (err) {
      rethrowPending(err);
      return { status: 'error', message: `variable substitution failed: ${errText(err)}` };
    }
  }

  if (v.foreach) return validateForeach(v.foreach, env, ctx, nesting);
  return null;
}

function evaluateList(list: string, ctx: Context): unknown[] {
  const expr = list.includes('{{') ? String(substituteAll(list, ctx)) : list;
  const value = search(expr, ctx);
  return Array.isArray(value) ? value : [value];
}

function validateForeach(entries: CompiledForeach[], env: RunEnv, ctx: Context, nesting: number): Outcome {
  let applied = 0;
  for (const fe of entries) {
    let elements: unknown[];
    try {
      elements = evaluateList(fe.list, ctx);
    } catch (err) {
      rethrowPending(err);
      continue;
    }
    for (let index = 0; index < elements.length; index++) {
      const element = elements[index];
      if (element === null || element === undefined) continue;
      const elCtx: Context = { ...ctx, element, elementIndex: index, [`element${nesting}`]: element, [`elementIndex${nesting}`]: index };
      if (env.foreachValues) {
        for (const [k, list] of Object.entries(env.foreachValues)) if (index < list.length) setContextValue(elCtx, k, list[index]);
      }
      const scoped = fe.elementScope ?? isObject(element);
      const r = runValidator(fe.validation, fe.context, fe.preconditions, env, elCtx, scoped ? element : undefined, nesting + 1);
      if (!r || r.status === 'skip') continue;
      if (r.status !== 'pass') {
        if (r.status === 'error' && index < elements.length - 1) continue;
        return { status: r.status, message: `validation failure: ${r.message}` };
      }
      applied++;
    }
  }
  if (applied === 0) return { status: 'skip', message: 'rule skipped' };
  return { status: 'pass', message: 'rule passed' };
}
