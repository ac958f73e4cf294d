// `x.orValue(d)` on a value that is not an optional. cel-go (which Kyverno and the API server
// use) evaluates orValue by short-circuit and hands back a non-optional receiver unchanged, so
// `container.securityContext.capabilities.add.orValue([])` is the list itself when it is present.
// The CEL library is stricter (an error); policies written against cel-go rely on the lenient
// behaviour, so the parsed orValue calls are switched to it.
import { Optional } from '@marcbachmann/cel-js';

interface Node {
  op: string;
  args: unknown;
  meta?: { macro?: OrValueMacro };
}

interface OrValueMacro {
  receiver: Node;
  arg: Node;
  evaluate(ev: Runner, macro: OrValueMacro, ctx: unknown): unknown;
}

interface Runner {
  run(ast: unknown, ctx: unknown): unknown;
}

function lenientOrValue(ev: Runner, macro: OrValueMacro, ctx: unknown): unknown {
  const v = ev.run(macro.receiver, ctx);
  if (!(v instanceof Optional)) return v;
  return v.hasValue() ? v.value() : ev.run(macro.arg, ctx);
}

function isNode(x: unknown): x is Node {
  return x !== null && typeof x === 'object' && typeof (x as Node).op === 'string' && 'args' in (x as object);
}

/** Walks a parsed expression and makes each orValue call accept non-optional receivers. */
export function acceptPlainOrValueReceivers(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      stack.push(...x);
      continue;
    }
    if (!isNode(x)) continue;
    if (x.op === 'rcall' && Array.isArray(x.args) && x.args[0] === 'orValue' && x.meta?.macro) x.meta.macro.evaluate = lenientOrValue;
    stack.push(x.args);
  }
}
