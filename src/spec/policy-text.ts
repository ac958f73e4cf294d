// A check's `kyvernoPolicy` text, read into a value. Every check of every spec is a YAML text of
// its own, and together they are most of a repository's bytes: read with the positioned parser
// (yaml-documents.ts), a thousand of them take 0.4 s on a quiet machine and over 1.5 s while its
// JIT is still cold, in every command and every pass.
//
// Most policy texts are plain YAML: no anchors, aliases, tags, merge keys or odd keys. Those are
// read by js-yaml with its YAML 1.2 core schema, the same scalar rules (null, bool, int, float)
// the positioned parser uses, several times faster. Anything else, and any text js-yaml refuses,
// goes through the positioned parser, whose value and errors stand; positions for a problem in
// a fast-read text come from parsing it again that way, which only happens when there is one.
import { CORE_SCHEMA, load } from 'js-yaml';
import { parseYamlDocuments } from './yaml-documents.ts';
import type { SourceDocument } from './yaml-documents.ts';

/** What the positioned parser would make of a policy text, with positions worked out when asked. */
export interface PolicyText {
  /** The documents in the text (a policy text must hold exactly one). */
  documents: number;
  value: unknown;
  error?: SourceDocument['error'];
  locate(path: (string | number)[]): { line: number; column: number };
}

/**
 * Constructs where the two readers could part ways: a tag, a directive, a merge key, an explicit
 * `?` key or one that is a list or mapping, a key that is null or `__proto__`, a document marker,
 * a number too large for a double (one reader makes it Infinity, the other a string).
 * Matched loosely (inside quoted strings too): a false match only costs time. Aliases are refused
 * by js-yaml itself (maxAliases 0): the positioned parser counts their expanded size.
 */
// The empty or null key is looked for behind each colon: matched forwards from every space, it
// took most of this test's time, which every policy text pays.
const NOT_PLAIN = /(?:^|[\s[{,])!|^%|<<|__proto__|^[ \t]*(?:-\s+)*[?[{]|(?<=(?:^|[\s{,])(?:~|null|Null|NULL)?\s*):(?=\s|$)|^(?:---|\.\.\.)|[\d.][eE][-+]?\d{3}|\d{300}/m;

export function readPolicyText(text: string, file = 'kyvernoPolicy'): PolicyText {
  const fast = NOT_PLAIN.test(text) ? undefined : loadPlain(text);
  if (fast === undefined) return positioned(text, file);
  let located: PolicyText | undefined;
  return {
    documents: 1,
    value: fast.value,
    locate: (path) => (located ??= positioned(text, file)).locate(path),
  };
}

function loadPlain(text: string): { value: unknown } | undefined {
  try {
    const value = load(text, { schema: CORE_SCHEMA, maxAliases: 0 });
    // An empty text, or one that is a scalar or a list, gets the positioned parser's answer.
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? { value } : undefined;
  } catch {
    return undefined;
  }
}

function positioned(text: string, file: string): PolicyText {
  const docs = parseYamlDocuments(file, text);
  const [doc] = docs;
  return {
    documents: docs.length,
    value: doc?.value,
    ...(doc?.error ? { error: doc.error } : {}),
    locate: (path) => doc?.locate(path) ?? { line: 1, column: 1 },
  };
}
