import type { LoadResult } from './load.ts';
import type { SpecError } from './errors.ts';
import { parseYamlDocuments } from './yaml-documents.ts';

/**
 * Specs whose `targetClusterRef` names no ClusterTarget loaded from the same files (in the
 * spec's namespace), pointing at the line of the reference. Whether that is an error depends on
 * whether targets may come from the cluster instead; the caller decides. Pure.
 */
export function danglingTargetRefs(load: LoadResult, files: Map<string, string>): SpecError[] {
  const targets = new Set(load.targets.map(({ target }) => `${target.metadata.namespace}/${target.metadata.name}`));
  const dangling: SpecError[] = [];
  for (const { spec, origin } of load.specs) {
    const namespace = spec.metadata.namespace!;
    const name = spec.spec.targetClusterRef.name;
    if (targets.has(`${namespace}/${name}`)) continue;
    const path = ['spec', 'targetClusterRef', 'name'];
    const doc = parseYamlDocuments(origin.file, files.get(origin.file) ?? '')[origin.document - 1];
    dangling.push({
      file: origin.file,
      document: origin.document,
      ...(doc ? doc.locate(path) : { line: origin.line }),
      field: path.join('.'),
      message: `ClusterTarget "${name}" is not defined in this repository (namespace ${namespace})`,
      specName: spec.metadata.name,
    });
  }
  return dangling;
}
