// Pattern self-references, resolved when a pattern compiles:
//  - `$(path)` takes the value of another field of the same pattern; a relative path starts at
//    the referencing field (`$(./../../limits/memory)`), an operator in front is kept
//    (`$(<=./../../limits/memory)` becomes `<=2048Mi`). Anchored keys match by their plain name.
//  - `{{@}}` is the resource's own value at the pattern's position; it becomes the variable
//    `{{request.object.<path>}}` (or `{{element.<path>}}` inside foreach), so it is substituted
//    with the other variables.
import { isObject } from './jmespath/values.ts';
import { stripAnchor } from './anchors.ts';

const REFERENCE_RE = /(^|[^\\])\$\(([^ )]*)\)/g;
const AT_RE = /\{\{\s*@\s*\}\}/g;
const OPERATORS = ['>=', '<=', '!=', '>', '<', '!'];

export function hasReferences(value: unknown): boolean {
  const text = JSON.stringify(value) ?? '';
  return text.includes('$(') || /\{\{\s*@\s*\}\}/.test(text);
}

function lookup(root: unknown, segments: string[]): unknown {
  let cur: unknown = root;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) return undefined;
      cur = cur[i];
    } else if (isObject(cur)) {
      const key = Object.prototype.hasOwnProperty.call(cur, seg) ? seg : Object.keys(cur).find((k) => stripAnchor(k) === seg);
      if (key === undefined) return undefined;
      cur = cur[key];
    } else return undefined;
  }
  return cur;
}

function joinPath(base: string[], ref: string): string[] {
  const out = ref.startsWith('/') ? [] : [...base];
  for (const seg of ref.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out;
}

function resolveReferences(text: string, root: unknown, path: string[]): string {
  return text.replace(REFERENCE_RE, (_m, pre: string, body: string) => {
    const op = OPERATORS.find((o) => body.startsWith(o)) ?? '';
    let ref = body.slice(op.length);
    if (ref === '') throw new Error(`pattern reference $(${body}) at /${path.join('/')} needs a path`);
    // Absolute references may be written from the rule (`/validate/pattern/...`).
    ref = ref.replace(/^\/validate\/(pattern|anyPattern\/\d+)(?=\/|$)/, '');
    const value = lookup(root, joinPath(path, ref));
    if (value === undefined || value === null || isObject(value) || Array.isArray(value)) {
      throw new Error(`pattern reference $(${body}) at /${path.join('/')} does not resolve to a value`);
    }
    return pre + op + String(value);
  });
}

function jmesPath(prefix: string, path: string[]): string {
  let out = prefix;
  for (const seg of path) {
    const key = stripAnchor(seg);
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += `.${key}`;
    else out += `.${JSON.stringify(key)}`;
  }
  return out;
}

/** Resolves `$(...)` references and rewrites `{{@}}` in a raw pattern. */
export function resolvePatternReferences(pattern: unknown, objectPrefix = 'request.object'): unknown {
  const walk = (node: unknown, path: string[]): unknown => {
    if (typeof node === 'string') {
      let s = node;
      if (s.includes('$(')) s = resolveReferences(s, pattern, path);
      if (s.includes('@')) s = s.replace(AT_RE, `{{${jmesPath(objectPrefix, path)}}}`);
      return s;
    }
    if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, String(i)]));
    if (isObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return node;
  };
  return walk(pattern, []);
}
