import type { ClusterSpecification, ClusterTarget } from '../api/types.ts';
import { parseYamlDocuments } from './yaml-documents.ts';
import type { SourceDocument } from './yaml-documents.ts';
import { validateDocument } from './validate.ts';
import { fieldPath } from './errors.ts';
import type { SpecError } from './errors.ts';

export const DEFAULT_NAMESPACE = 'kspec-system';

/** Where a loaded object came from, so that later errors can point back at it. */
export interface Origin {
  file: string;
  document: number;
  line: number;
  /** Line of each check's kyvernoPolicy value, keyed by `policyId/checkId`. */
  checkLines: Map<string, number>;
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

/**
 * Loads ClusterSpecifications and ClusterTargets from files (path → text). Other kinds are
 * ignored. A document with errors is dropped with errors naming file, document, line and field;
 * every other document still loads. Pure: no I/O.
 */
export function loadSpecs(files: Map<string, string>, options: { namespace?: string } = {}): LoadResult {
  const result: LoadResult = { specs: [], targets: [], errors: [], files: [...files.keys()].sort() };
  for (const file of result.files) {
    for (const doc of parseYamlDocuments(file, files.get(file)!)) {
      loadDocument(doc, result, options.namespace ?? DEFAULT_NAMESPACE);
    }
  }
  rejectDuplicates(result);
  return result;
}

function loadDocument(doc: SourceDocument, result: LoadResult, namespace: string): void {
  if (doc.syntaxError) {
    result.errors.push({ file: doc.file, document: doc.index, ...doc.syntaxError, message: `invalid YAML: ${doc.syntaxError.message}` });
    return;
  }
  const value = doc.value as Record<string, unknown>;
  if (typeof value !== 'object' || Array.isArray(value)) return;
  const kind = value.kind;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return;
  const specName = nameOf(value);
  const problems = validateDocument(kind as 'ClusterSpecification' | 'ClusterTarget', value);
  if (problems.length) {
    for (const problem of problems) {
      result.errors.push({
        file: doc.file,
        document: doc.index,
        ...doc.locate(problem.path),
        field: fieldPath(problem.path),
        message: problem.message,
        ...(kind === 'ClusterSpecification' && specName ? { specName } : {}),
      });
    }
    return;
  }
  const metadata = value.metadata as Record<string, unknown>;
  metadata.namespace ??= namespace;
  const origin: Origin = { file: doc.file, document: doc.index, line: doc.line, checkLines: new Map() };
  if (kind === 'ClusterTarget') {
    result.targets.push({ target: value as unknown as ClusterTarget, origin });
    return;
  }
  const spec = value as unknown as ClusterSpecification;
  const duplicate = duplicateIds(spec);
  if (duplicate) {
    result.errors.push({ file: doc.file, document: doc.index, ...doc.locate(duplicate.path), field: fieldPath(duplicate.path), message: duplicate.message, specName: spec.metadata.name });
    return;
  }
  spec.spec.policies.forEach((policy, p) =>
    policy.checks.forEach((check, c) =>
      origin.checkLines.set(`${policy.id}/${check.id}`, doc.locate(['spec', 'policies', p, 'checks', c, 'kyvernoPolicy']).line),
    ),
  );
  result.specs.push({ spec, origin });
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

/** Two documents of the same kind and name: both are rejected, since neither is clearly meant. */
function rejectDuplicates(result: LoadResult): void {
  const seen = new Map<string, Origin>();
  const dupes = new Set<string>();
  const key = (kind: string, meta: { name: string; namespace?: string }) => `${kind}/${meta.namespace}/${meta.name}`;
  for (const { spec, origin } of result.specs) {
    const k = key('ClusterSpecification', spec.metadata);
    if (seen.has(k)) {
      dupes.add(k);
      const first = seen.get(k)!;
      result.errors.push({ file: origin.file, document: origin.document, line: origin.line, field: 'metadata.name', specName: spec.metadata.name, message: `ClusterSpecification "${spec.metadata.name}" is also defined at ${first.file}:${first.line}` });
    }
    seen.set(k, origin);
  }
  result.specs = result.specs.filter(({ spec }) => !dupes.has(key('ClusterSpecification', spec.metadata)));
}
