import { Composer, LineCounter, Parser, isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import { DEFAULT_LIMITS, formatSize, LIMIT_FLAGS } from './limits.ts';
import type { InputLimits } from './limits.ts';

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
  /**
   * Where the text of a literal block scalar (`key: |`) at a path lies in the file, when the value
   * there is one: its content lines are the file's lines from `firstLine` on, each with `indent`
   * more spaces, so a position inside the text maps back onto the file. Other scalar styles fold
   * or unescape their lines, and an explicit indentation indicator is rare: undefined for those.
   */
  literalBlock(path: (string | number)[]): LiteralBlock | undefined;
  /** Set when the document cannot be read: invalid YAML, or past a limit. The message is complete. */
  error?: { message: string; line: number; column: number };
}

export interface LiteralBlock {
  /** 1-based line of the file holding the text's first line. */
  firstLine: number;
  /** Spaces before each line of the text in the file. */
  indent: number;
}

type YamlLimits = Pick<InputLimits, 'maxDocuments' | 'maxExpandedBytes'>;

/** A problem found while turning the syntax tree into values, at a source offset. */
class YamlValueError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/**
 * Splits a YAML file into documents and turns each into plain values. Never throws: syntax
 * errors, duplicate keys, alias loops and inputs past the limits come back as a document's
 * `error`, with line and column, and the file's other documents still load.
 *
 * Time and memory are linear in the input. The YAML library's own duplicate-key check and alias
 * resolution are quadratic in the number of keys and aliases, so the tree is converted here in
 * one pass that checks keys with a Set, resolves anchors through a map, applies `<<` merge keys
 * and counts the size the document would have with every alias expanded.
 */
export function parseYamlDocuments(file: string, text: string, limits: YamlLimits = DEFAULT_LIMITS): SourceDocument[] {
  const lineCounter = new LineCounter();
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const source: SourceText = { text, position, lineStart: (line) => lineCounter.lineStarts[line - 1] ?? text.length };
  const out: SourceDocument[] = [];
  let index = 0;
  try {
    // The composer hands out one document at a time, so a file with too many stops being read.
    const composer = new Composer({ uniqueKeys: false, prettyErrors: false });
    const documents = composer.compose(new Parser(lineCounter.addNewLine).parse(text));
    for (const doc of documents) {
      index++;
      if (index > limits.maxDocuments) {
        out.push(failed(file, index, position(doc.contents?.range?.[0] ?? doc.range[0]), `more than ${limits.maxDocuments} YAML documents in one file (limit ${LIMIT_FLAGS.maxDocuments})`));
        break;
      }
      const parsed = toSourceDocument(file, index, doc, source, { expanded: 0, limit: limits.maxExpandedBytes });
      if (parsed) out.push(parsed);
    }
  } catch (err) {
    // The parser recurses on nesting; a file nested deeply enough to exhaust the stack lands here.
    out.push(failed(file, index + 1, { line: 1, column: 1 }, `invalid YAML: ${(err as Error).message}`));
  }
  return out;
}

/** The file's text with its line index: offsets to positions and back. */
interface SourceText {
  text: string;
  position(offset: number): { line: number; column: number };
  /** Offset where a 1-based line starts. */
  lineStart(line: number): number;
}

function failed(file: string, index: number, at: { line: number; column: number }, message: string): SourceDocument {
  return { file, index, line: at.line, value: undefined, locate: () => at, literalBlock: () => undefined, error: { message, ...at } };
}

function toSourceDocument(
  file: string,
  index: number,
  doc: Document.Parsed,
  source: SourceText,
  budget: { expanded: number; limit: number },
): SourceDocument | undefined {
  const { position } = source;
  const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
  const at = position(start);
  const base = {
    file,
    index,
    line: at.line,
    locate: (path: (string | number)[]) => position(nearestNode(doc, path)?.range?.[0] ?? start),
    literalBlock: (path: (string | number)[]) => literalBlockAt(doc, path, source),
  };
  const error = doc.errors[0];
  if (error) {
    return { ...base, value: undefined, error: { message: `invalid YAML: ${error.message.split('\n')[0]}`, ...position(error.pos[0]) } };
  }
  let value: unknown;
  try {
    value = new ValueBuilder(budget, (offset) => position(offset).line).build(doc.contents as Node | null);
  } catch (err) {
    if (!(err instanceof YamlValueError)) throw err;
    return { ...base, value: undefined, error: { message: err.message, ...position(err.offset) } };
  }
  if (value === null || value === undefined) return undefined;
  return { ...base, value };
}

/** Converts one document's tree to plain values in a single pass; see parseYamlDocuments. */
class ValueBuilder {
  private readonly anchors = new Map<string, Node>();
  private readonly values = new Map<Node, { value: unknown; size: number }>();
  private readonly building = new Set<Node>();
  private readonly budget: { expanded: number; limit: number };
  private readonly lineOf: (offset: number) => number;

  constructor(budget: { expanded: number; limit: number }, lineOf: (offset: number) => number) {
    this.budget = budget;
    this.lineOf = lineOf;
  }

  build(node: Node | null): unknown {
    return node ? this.node(node).value : null;
  }

  private node(node: Node): { value: unknown; size: number } {
    if (isAlias(node)) return this.alias(node.source, node.range?.[0] ?? 0);
    if (node.anchor) this.anchors.set(node.anchor, node);
    this.building.add(node);
    let result: { value: unknown; size: number };
    if (isScalar(node)) {
      const [from, to] = node.range ?? [0, 0];
      result = { value: node.value, size: Math.max(1, to - from) };
      this.spend(result.size, from);
    } else if (isSeq(node)) {
      const items: unknown[] = [];
      let size = 1;
      for (const item of node.items as (Node | null)[]) {
        const built = item ? this.node(item) : { value: null, size: 1 };
        items.push(built.value);
        size += built.size;
      }
      result = { value: items, size };
    } else if (isMap(node)) {
      result = this.map(node as YAMLMap<Node | null, Node | null>);
    } else {
      throw new YamlValueError('unsupported YAML node', (node as Node).range?.[0] ?? 0);
    }
    this.building.delete(node);
    if (node.anchor) this.values.set(node, result);
    return result;
  }

  /** An alias is its anchor's value again: the same object, counted again in the expanded size. */
  private alias(source: string, offset: number): { value: unknown; size: number } {
    const anchored = this.anchors.get(source);
    if (!anchored) throw new YamlValueError(`invalid YAML: alias *${source} has no anchor &${source} before it`, offset);
    if (this.building.has(anchored)) throw new YamlValueError(`invalid YAML: alias *${source} refers to a node that contains it`, offset);
    const built = this.values.get(anchored)!;
    this.spend(built.size, offset);
    return built;
  }

  private map(node: YAMLMap<Node | null, Node | null>): { value: unknown; size: number } {
    const object: Record<string, unknown> = {};
    const firstAt = new Map<string, number>();
    const merges: { pair: Pair<Node | null, Node | null>; offset: number }[] = [];
    let size = 1;
    for (const pair of node.items) {
      const offset = pair.key?.range?.[0] ?? node.range?.[0] ?? 0;
      if (isMergeKey(pair.key)) {
        merges.push({ pair, offset });
        continue;
      }
      if (pair.key && !isScalar(pair.key)) throw new YamlValueError('invalid YAML: a mapping key must be a plain value, not a list or mapping', offset);
      // An empty or null key is "", as the YAML library reads it.
      const key = String((pair.key?.value as unknown) ?? '');
      const first = firstAt.get(key);
      if (first !== undefined) throw new YamlValueError(`invalid YAML: duplicate key ${JSON.stringify(key)} (first at line ${this.lineOf(first)})`, offset);
      firstAt.set(key, offset);
      const built = pair.value ? this.node(pair.value) : { value: null, size: 1 };
      setKey(object, key, built.value);
      size += key.length + built.size;
    }
    // `<<: *base` (YAML 1.1 merge keys): keys written in the mapping win over merged ones, and an
    // earlier merged mapping wins over a later one.
    for (const { pair, offset } of merges) {
      const sources = pair.value && isSeq(pair.value) ? (pair.value.items as Node[]) : [pair.value];
      for (const source of sources) {
        const merged = source ? this.node(source).value : undefined;
        if (!merged || typeof merged !== 'object' || Array.isArray(merged)) throw new YamlValueError('invalid YAML: a merge key << takes a mapping or a list of mappings', offset);
        for (const [key, value] of Object.entries(merged)) {
          if (Object.hasOwn(object, key)) continue;
          setKey(object, key, value);
          size += key.length + 1;
        }
      }
    }
    return { value: object, size };
  }

  private spend(bytes: number, offset: number): void {
    this.budget.expanded += bytes;
    if (this.budget.expanded > this.budget.limit) {
      throw new YamlValueError(`larger than ${formatSize(this.budget.limit)} once aliases are expanded (limit ${LIMIT_FLAGS.maxExpandedBytes})`, offset);
    }
  }
}

function isMergeKey(key: Node | null): boolean {
  return isScalar(key) && key.value === '<<' && key.type === 'PLAIN';
}

/** `__proto__` is an ordinary key in YAML; assigning it would change the object's prototype. */
function setKey(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

const keyIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

/** A mapping's pairs by key, built once, so that locating many errors stays linear. */
function pairsByKey(node: YAMLMap): Map<string, Pair> {
  let index = keyIndexes.get(node);
  if (!index) {
    index = new Map();
    for (const item of node.items) {
      if (isScalar(item.key) && !index.has(String(item.key.value))) index.set(String(item.key.value), item);
    }
    keyIndexes.set(node, index);
  }
  return index;
}

/** See SourceDocument.literalBlock. */
function literalBlockAt(doc: Document.Parsed, path: (string | number)[], source: SourceText): LiteralBlock | undefined {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) node = pairsByKey(node).get(String(key))?.value;
    else if (isSeq(node) && typeof key === 'number') node = node.items[key];
    else return undefined;
  }
  if (!isScalar(node) || node.type !== 'BLOCK_LITERAL' || !node.range) return undefined;
  const header = source.position(node.range[0]);
  // `|`, `|-` or `|+`, maybe with a comment; a digit is an explicit indentation indicator.
  const headerText = source.text.slice(node.range[0], source.lineStart(header.line + 1));
  if (/^\|[-+]?\d|^\|\d/.test(headerText)) return undefined;
  // Without an indicator, the first line that is not blank sets the indentation.
  const firstLine = header.line + 1;
  for (let line = firstLine; source.lineStart(line) < node.range[1]; line++) {
    const text = source.text.slice(source.lineStart(line), source.lineStart(line + 1));
    const indent = /^ */.exec(text)![0].length;
    if (text.slice(indent).trim() !== '') return { firstLine, indent };
  }
  return undefined;
}

function nearestNode(doc: Document.Parsed, path: (string | number)[]): Node | undefined {
  let node: unknown = doc.contents;
  let found = node as Node | undefined;
  for (const key of path) {
    if (isAlias(node)) break;
    if (isMap(node)) {
      const pair = pairsByKey(node).get(String(key));
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
