// A check's `kyvernoPolicy` text, read into a value: fast when it is plain YAML (plain-yaml.ts),
// by the positioned parser otherwise, with positions worked out when a problem asks for them.
import { plainMapping } from './plain-yaml.ts';
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

export function readPolicyText(text: string, file = 'kyvernoPolicy'): PolicyText {
  const fast = plainMapping(text);
  if (fast === undefined) return positioned(text, file);
  let located: PolicyText | undefined;
  return {
    documents: 1,
    value: fast.value,
    locate: (path) => (located ??= positioned(text, file)).locate(path),
  };
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
