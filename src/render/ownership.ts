/** Labels and annotations by which kspec owns and explains the Kyverno policies it renders. */

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGER = 'kspec';
export const SPEC_LABEL = 'kspec.io/spec';
export const SPEC_NAMESPACE_LABEL = 'kspec.io/spec-namespace';
export const POLICY_LABEL = 'kspec.io/policy';
export const CHECK_LABEL = 'kspec.io/check';
export const SEVERITY_LABEL = 'kspec.io/severity';

export const SOURCE_COMMIT_ANNOTATION = 'kspec.io/source-commit';
export const SOURCE_FILE_ANNOTATION = 'kspec.io/source-file';
/** On spec mirrors: the repository and path they came from, so a pass only falls back on its own. */
export const SOURCE_ANNOTATION = 'kspec.io/source';
export const POLICY_TITLE_ANNOTATION = 'kspec.io/policy-title';
/** Kyverno copies this annotation into policy reports, so reports carry the spec's severity. */
export const KYVERNO_SEVERITY_ANNOTATION = 'policies.kyverno.io/severity';

/**
 * Annotations that record provenance rather than desired state: a new commit that leaves a
 * policy unchanged is not drift, so these are never compared.
 */
export const PROVENANCE_ANNOTATIONS = new Set([SOURCE_COMMIT_ANNOTATION, SOURCE_FILE_ANNOTATION]);

export interface SpecIdentity {
  name: string;
  namespace: string;
}

/** Label selector for every Kyverno policy owned by one spec. */
export function ownedBySpecSelector(spec: SpecIdentity): string {
  return `${MANAGED_BY}=${MANAGER},${SPEC_LABEL}=${spec.name},${SPEC_NAMESPACE_LABEL}=${spec.namespace}`;
}

/** The labels say kspec owns the object for this spec: what ownedBySpecSelector selects. */
export function isOwnedBySpec(labels: Record<string, string> | undefined, spec: SpecIdentity): boolean {
  return labels?.[MANAGED_BY] === MANAGER && labels[SPEC_LABEL] === spec.name && labels[SPEC_NAMESPACE_LABEL] === spec.namespace;
}

/** Label selector for every Kyverno policy kspec owns, whatever the spec. */
export const OWNED_BY_KSPEC_SELECTOR = `${MANAGED_BY}=${MANAGER}`;
