import type { ClusterSpecification, ClusterTarget } from '../api/types.ts';
import { readFileDocuments } from './file-documents.ts';
import type { LiteralBlock, SourceDocument } from './yaml-documents.ts';
import { validateDocument } from './validate.ts';
import { fieldPath, lineOf } from './errors.ts';
import type { SpecError } from './errors.ts';
import { decodeFileText } from './file-text.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import type { InputLimits } from './limits.ts';
import { closestWord } from './closest-word.ts';

export const DEFAULT_NAMESPACE = 'kspec-system';

/** How specs and targets are told apart: `namespace/name`, since one name may be in two namespaces. */
export const specKey = (meta: { name: string; namespace?: string }) => `${meta.namespace ?? DEFAULT_NAMESPACE}/${meta.name}`;

/** Where a loaded object came from, so that later errors can point back at it. */
export interface Origin {
  file: string;
  document: number;
  line: number;
  /**
   * Where the kyvernoPolicy of the spec's check `c` of policy `p` is in the file: the line of
   * its value, and where its text lies when it is a literal block (`|`). Worked out when asked,
   * which only a problem does. Absent when the spec has no file (one applied to the cluster).
   */
  locateCheck?(p: number, c: number): CheckPlace;
}

export interface CheckPlace {
  line: number;
  block?: LiteralBlock;
}

export interface LoadedSpec {
  spec: ClusterSpecification;
  origin: Origin;
}

export interface LoadedTarget {
  target: ClusterTarget;
  origin: Origin;
}

export interface LoadResult {
  specs: LoadedSpec[];
  targets: LoadedTarget[];
  errors: SpecError[];
  /** Every file read, including those with errors: a spec's last good state is kept per file. */
  files: string[];
}

const KINDS = new Set(['ClusterSpecification', 'ClusterTarget']);
/** kspec.io kinds that kspec writes itself (report files of write-back); a repository may hold them. */
const OUTPUT_KINDS = new Set(['ComplianceReport', 'DriftReport']);
const KSPEC_API_GROUP = /^kspec\.io\//;
/** Schema problems reported per document; past this, one line says how many more there are. */
const MAX_PROBLEMS_PER_DOCUMENT = 20;

export interface LoadOptions {
  /** Namespace of specs and targets that name none. */
  namespace?: string;
  limits?: InputLimits;
  /** Files the source could not read (a link out of the root, a file past the size limit…). */
  readErrors?: SpecError[];
}

/**
 * Loads ClusterSpecifications and ClusterTargets from files (path → bytes or text). Documents
 * of other API groups are ignored. A file or document with errors is dropped with errors naming
 * file, document, line and field; every other document still loads. Pure: no I/O.
 */
export function loadSpecs(files: Map<string, string | Uint8Array>, options: LoadOptions = {}): LoadResult {
  const result = emptyResult(files, options);
  for (const file of [...files.keys()].sort()) loadFile(file, files.get(file)!, result, options);
  rejectDuplicates(result);
  return result;
}

/**
 * loadSpecs, letting the event loop turn between files: a pass's requests, sent before the
 * parse, then get their connections and answers while the files are parsed, rather than after
 * (at 1,000 policies the parse takes a few hundred milliseconds).
 */
export async function loadSpecsInTurns(files: Map<string, string | Uint8Array>, options: LoadOptions = {}): Promise<LoadResult> {
  const result = emptyResult(files, options);
  for (const file of [...files.keys()].sort()) {
    loadFile(file, files.get(file)!, result, options);
    await new Promise((resolve) => setImmediate(resolve));
  }
  rejectDuplicates(result);
  return result;
}

function emptyResult(files: Map<string, string | Uint8Array>, options: LoadOptions): LoadResult {
  const readErrors = options.readErrors ?? [];
  return { specs: [], targets: [], errors: [...readErrors], files: [...new Set([...files.keys(), ...readErrors.map((e) => e.file)])].sort() };
}

function loadFile(file: string, content: string | Uint8Array, result: LoadResult, options: LoadOptions): void {
  const decoded = typeof content === 'string' ? { text: content } : decodeFileText(content);
  if ('error' in decoded) {
    result.errors.push({ file, document: 1, line: decoded.line, message: `file ${decoded.error}` });
    return;
  }
  for (const doc of readFileDocuments(file, decoded.text, options.limits ?? DEFAULT_LIMITS)) {
    loadDocument(doc, result, options.namespace ?? DEFAULT_NAMESPACE, decoded.text);
  }
}

function loadDocument(doc: SourceDocument, result: LoadResult, namespace: string, text: string): void {
  if (doc.error) {
    result.errors.push({ file: doc.file, document: doc.index, ...doc.error, snippet: lineOf(text, doc.error.line) });
    return;
  }
  const value = doc.value as Record<string, unknown>;
  if (typeof value !== 'object' || Array.isArray(value)) return;
  const kind = value.kind;
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    const problem = notLoadedProblem(value);
    if (problem) result.errors.push({ file: doc.file, document: doc.index, ...doc.locate([problem.field]), field: problem.field, message: problem.message });
    return;
  }
  const specName = nameOf(value);
  const problems = validateDocument(kind as 'ClusterSpecification' | 'ClusterTarget', value);
  if (problems.length) {
    const shown = problems.slice(0, MAX_PROBLEMS_PER_DOCUMENT);
    if (problems.length > shown.length) shown.push({ path: [], message: `and ${problems.length - shown.length} more problems in this document` });
    for (const problem of shown) {
      result.errors.push({
        file: doc.file,
        document: doc.index,
        ...doc.locate(problem.path),
        field: fieldPath(problem.path),
        message: problem.message,
        ...(kind === 'ClusterSpecification' && specName ? { specName, specNamespace: namespaceOf(value) ?? namespace } : {}),
      });
    }
    return;
  }
  const metadata = value.metadata as Record<string, unknown>;
  metadata.namespace ??= namespace;
  const origin: Origin = { file: doc.file, document: doc.index, line: doc.line };
  if (kind === 'ClusterTarget') {
    result.targets.push({ target: value as unknown as ClusterTarget, origin });
    return;
  }
  const spec = value as unknown as ClusterSpecification;
  const duplicate = duplicateIds(spec);
  if (duplicate) {
    result.errors.push({ file: doc.file, document: doc.index, ...doc.locate(duplicate.path), field: fieldPath(duplicate.path), message: duplicate.message, specName: spec.metadata.name, specNamespace: metadata.namespace as string });
    return;
  }
  origin.locateCheck = (p, c) => {
    const path = ['spec', 'policies', p, 'checks', c, 'kyvernoPolicy'];
    const block = doc.literalBlock(path);
    return { line: doc.locate(path).line, ...(block ? { block } : {}) };
  };
  result.specs.push({ spec, origin });
}

/**
 * Why a document that kspec does not load is still an error: it claims kspec's API group with a
 * kind kspec does not have, or its kind is a near miss of one (a typo would otherwise drop a
 * whole spec without a word).
 */
function notLoadedProblem(value: Record<string, unknown>): { field: string; message: string } | undefined {
  const { apiVersion, kind } = value;
  const known = [...KINDS].join(', ');
  if (typeof kind === 'string' && OUTPUT_KINDS.has(kind)) return undefined;
  if (typeof apiVersion === 'string' && KSPEC_API_GROUP.test(apiVersion)) {
    if (typeof kind !== 'string') return { field: 'kind', message: `a kspec.io document needs a kind: ${known}` };
    const guess = closestWord(kind, [...KINDS]);
    return { field: 'kind', message: `unknown kspec.io kind ${JSON.stringify(kind)}${guess ? ` (did you mean ${guess}?)` : ''}; kspec reads ${known}` };
  }
  const guess = typeof kind === 'string' ? closestWord(kind, [...KINDS]) : undefined;
  if (guess) return { field: 'kind', message: `kind ${JSON.stringify(kind)} is not one kspec reads; did you mean ${guess}?` };
  return undefined;
}

function namespaceOf(value: Record<string, unknown>): string | undefined {
  const metadata = value.metadata as Record<string, unknown> | undefined;
  return typeof metadata?.namespace === 'string' ? metadata.namespace : undefined;
}

function nameOf(value: Record<string, unknown>): string | undefined {
  const metadata = value.metadata as Record<string, unknown> | undefined;
  return typeof metadata?.name === 'string' ? metadata.name : undefined;
}

function duplicateIds(spec: ClusterSpecification): { path: (string | number)[]; message: string } | undefined {
  const policies = new Set<string>();
  for (const [p, policy] of spec.spec.policies.entries()) {
    if (policies.has(policy.id)) return { path: ['spec', 'policies', p, 'id'], message: `duplicate policy id "${policy.id}"` };
    policies.add(policy.id);
    const checks = new Set<string>();
    for (const [c, check] of policy.checks.entries()) {
      if (checks.has(check.id)) return { path: ['spec', 'policies', p, 'checks', c, 'id'], message: `duplicate check id "${check.id}" in policy "${policy.id}"` };
      checks.add(check.id);
    }
  }
  return undefined;
}

/** Two documents of the same kind, namespace and name: both are rejected, since neither is clearly meant. */
function rejectDuplicates(result: LoadResult): void {
  result.specs = withoutDuplicates(result.specs.map((s) => ({ ...s, object: s.spec })), 'ClusterSpecification', result.errors);
  result.targets = withoutDuplicates(result.targets.map((t) => ({ ...t, object: t.target })), 'ClusterTarget', result.errors);
}

function withoutDuplicates<T extends { object: { metadata: { name: string; namespace?: string } }; origin: Origin }>(
  loaded: T[],
  kind: 'ClusterSpecification' | 'ClusterTarget',
  errors: SpecError[],
): Omit<T, 'object'>[] {
  const first = new Map<string, Origin>();
  const dupes = new Set<string>();
  const key = (meta: { name: string; namespace?: string }) => `${meta.namespace}/${meta.name}`;
  for (const { object, origin } of loaded) {
    const k = key(object.metadata);
    const earlier = first.get(k);
    if (earlier) {
      dupes.add(k);
      const where = `${earlier.file}:${earlier.line}`;
      errors.push({ file: origin.file, document: origin.document, line: origin.line, field: 'metadata.name', ...(kind === 'ClusterSpecification' ? { specName: object.metadata.name, specNamespace: object.metadata.namespace } : {}), message: `${kind} "${object.metadata.name}" in namespace ${object.metadata.namespace} is also defined at ${where}` });
    } else {
      first.set(k, origin);
    }
  }
  return loaded.filter(({ object }) => !dupes.has(key(object.metadata))).map(({ object: _object, ...rest }) => rest);
}
