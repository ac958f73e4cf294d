import { stringify } from 'yaml';
import type { ClusterSpecification } from '../api/types.ts';
import { loadSpecs } from '../spec/load.ts';
import type { LoadedSpec } from '../spec/load.ts';
import type { SpecError } from '../spec/errors.ts';
import { MANAGED_BY, MANAGER, SOURCE_ANNOTATION } from '../render/ownership.ts';

/**
 * ClusterSpecifications in the management cluster are of two kinds: mirrors that kspec wrote
 * for a repository (labelled as kspec's, with the repository in `kspec.io/source`), and specs
 * applied by a person, Argo CD or Flux, which are their own desired state.
 */
export function isMirror(spec: ClusterSpecification): boolean {
  return Boolean(spec.metadata.annotations?.[SOURCE_ANNOTATION]) || spec.metadata.labels?.[MANAGED_BY] === MANAGER;
}

/** Who manages a ClusterSpecification found in the cluster, in words for status and Events. */
export function describeOwner(spec: ClusterSpecification): string {
  const source = spec.metadata.annotations?.[SOURCE_ANNOTATION];
  if (source) return `repository ${source}`;
  if (isMirror(spec)) return 'another kspec installation';
  return 'the ClusterSpecification applied to the cluster (kubectl, Argo CD or Flux: it has no kspec.io/source)';
}

/** Where errors in an applied spec point: the object, since it has no file. */
export const appliedSpecLocation = (spec: ClusterSpecification) => `ClusterSpecification ${spec.metadata.namespace}/${spec.metadata.name}`;

/**
 * Validates an applied spec exactly as a spec file from Git is validated. The API server has
 * checked it against the CRD schema already; kspec's own rules (unique ids and everything the
 * loader checks) still apply. Errors name the object and the field; there are no lines.
 */
export function loadAppliedSpec(applied: ClusterSpecification): { loaded?: LoadedSpec; errors: SpecError[] } {
  const location = appliedSpecLocation(applied);
  const { name, namespace } = applied.metadata;
  const document = { apiVersion: applied.apiVersion, kind: applied.kind, metadata: { name, namespace }, spec: applied.spec };
  const result = loadSpecs(new Map([[location, stringify(document)]]), { namespace: namespace! });
  const errors = result.errors.map((e) => withoutLines({ ...e, file: location }));
  const loaded = result.specs[0];
  if (!loaded || errors.length) return { errors };
  // Lines of the re-serialized document would mean nothing to the user.
  const { locateCheck: _lines, ...origin } = loaded.origin;
  return { loaded: { spec: { ...loaded.spec, metadata: applied.metadata }, origin: { ...origin, line: 0 } }, errors };
}

export function withoutLines(error: SpecError): SpecError {
  const { column: _column, ...rest } = error;
  return { ...rest, line: 0 };
}
