// A repository file's YAML documents as the loader reads them: a file of plain YAML (one
// mapping, see plain-yaml.ts) fast, any other by the positioned parser, whose values, errors and
// limits stand. Either way positions are worked out by the positioned parser when a problem asks
// for one.
import { plainMapping } from './plain-yaml.ts';
import { parseYamlDocuments } from './yaml-documents.ts';
import type { SourceDocument } from './yaml-documents.ts';
import type { InputLimits } from './limits.ts';

export function readFileDocuments(file: string, text: string, limits: Pick<InputLimits, 'maxDocuments' | 'maxExpandedBytes'>): SourceDocument[] {
  // Positions are worked out again when asked, rather than kept: a loaded spec keeps its way to
  // them for the whole pass, and the positioned parser's tree is many times the file's size.
  let positioned: SourceDocument[] | undefined;
  const exact = (i: number) => (positioned ??= parseYamlDocuments(file, text, limits))[i];
  const lazily = (i: number) => ({ locate: (path: (string | number)[]) => exact(i).locate(path), literalBlock: (path: (string | number)[]) => exact(i).literalBlock(path) });
  // Without aliases, the size the positioned parser counts is at most twice the text's (a key
  // with no value counts its key, the null and the mapping): a text past half the limit is left
  // to it, to count exactly.
  const fast = 2 * text.length <= limits.maxExpandedBytes && limits.maxDocuments >= 1 ? plainMapping(text) : undefined;
  if (!fast) return parseYamlDocuments(file, text, limits).map(({ locate: _tree, literalBlock: _tree2, ...doc }, i) => ({ ...doc, ...lazily(i) }));
  return [{ file, index: 1, line: firstContentLine(text), value: fast.value, ...lazily(0) }];
}

/** The 1-based line where the document's mapping starts: the first that is neither blank nor a comment. */
function firstContentLine(text: string): number {
  let line = 1;
  for (let at = 0; at < text.length; line++) {
    const end = text.indexOf('\n', at);
    const content = text.slice(at, end < 0 ? text.length : end).trim();
    if (content !== '' && !content.startsWith('#')) return line;
    if (end < 0) break;
    at = end + 1;
  }
  return line;
}
