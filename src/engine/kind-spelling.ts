// How Kyverno policies name the kinds they match, read apart into group, version, kind and
// subresource (what discovery resolves into resource types to list).

export interface KindSpelling {
  group: string;
  version: string;
  kind: string;
  subresource: string;
}

/**
 * Kyverno's kind spellings: `Kind`, `Kind/subresource`, `version/Kind`, `group/version/Kind`,
 * `group/*\/Kind`, `group/version/Kind/subresource`. `*` means any group or version.
 */
export function parseKindSpelling(s: string): KindSpelling {
  const parts = s.split('/');
  const isKind = (p: string) => /^[A-Z*?]/.test(p) && !/^v\d/.test(p) && p !== '*';
  if (parts.length === 1) return { group: '*', version: '*', kind: parts[0], subresource: '' };
  if (parts.length === 2) {
    if (isKind(parts[0])) return { group: '*', version: '*', kind: parts[0], subresource: parts[1] };
    return { group: '*', version: parts[0], kind: parts[1], subresource: '' };
  }
  if (parts.length === 3) {
    if (isKind(parts[1])) return { group: '*', version: parts[0], kind: parts[1], subresource: parts[2] };
    return { group: parts[0], version: parts[1], kind: parts[2], subresource: '' };
  }
  return { group: parts[0], version: parts[1], kind: parts[2], subresource: parts.slice(3).join('/') };
}

/** Why a background scan cannot list what a spelling names (a subresource, a wildcard kind), or undefined when it can. */
export function unlistable(spelling: string, sel: KindSpelling = parseKindSpelling(spelling)): string | undefined {
  if (sel.subresource) return `kind ${spelling} names a subresource, which background scans do not list`;
  if (/[*?]/.test(sel.kind)) return `kind ${spelling} is a wildcard; kspec does not list every kind of the cluster for it`;
  return undefined;
}
