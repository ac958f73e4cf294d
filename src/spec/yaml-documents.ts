import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar } from 'yaml';
import type { Document, Node } from 'yaml';

/** One YAML document of a file, with what is needed to point at its lines. */
export interface SourceDocument {
  file: string;
  /** 1-based position of the document in its file. */
  index: number;
  /** 1-based line where the document starts. */
  line: number;
  value: unknown;
  /** Line and column (1-based) of the node at a path of keys and indexes, or of its nearest ancestor. */
  locate(path: (string | number)[]): { line: number; column: number };
  /** Set when the document is not valid YAML. */
  syntaxError?: { message: string; line: number; column: number };
}

/** Splits a YAML file into documents; syntax errors are returned, not thrown. */
export function parseYamlDocuments(file: string, text: string): SourceDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return list
    .map((doc: Document.Parsed, i): SourceDocument => {
      const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
      const base = {
        file,
        index: i + 1,
        line: position(start).line,
        locate: (path: (string | number)[]) => position(nearestNode(doc, path)?.range?.[0] ?? start),
      };
      const error = doc.errors[0];
      if (error) {
        return { ...base, value: undefined, syntaxError: { message: error.message.split('\n')[0], ...position(error.pos[0]) } };
      }
      return { ...base, value: doc.toJS({ maxAliasCount: 100 }) };
    })
    .filter((doc) => doc.syntaxError || doc.value !== null && doc.value !== undefined);
}

function nearestNode(doc: Document.Parsed, path: (string | number)[]): Node | undefined {
  let node: unknown = doc.contents;
  let found = node as Node | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) break;
      // A key's own position is more useful than its value's for a missing or wrong value.
      found = (isScalar(pair.value) ? pair.key : pair.value ?? pair.key) as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key];
      found = node as Node;
    } else {
      break;
    }
  }
  return found;
}
