// A check's `kyvernoPolicy` text, read into a value as a repository file is (file-documents.ts):
// fast when it is plain YAML, by the positioned parser otherwise, with positions worked out when
// a problem asks for them.
import { readFileDocuments } from './file-documents.ts';
import { DEFAULT_LIMITS } from './limits.ts';
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
  const docs = readFileDocuments(file, text, DEFAULT_LIMITS);
  const [doc] = docs;
  return {
    documents: docs.length,
    value: doc?.value,
    ...(doc?.error ? { error: doc.error } : {}),
    locate: (path) => doc?.locate(path) ?? { line: 1, column: 1 },
  };
}
