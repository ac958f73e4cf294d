// paramKind / paramRef: the parameter objects a policy is evaluated with. paramRef picks them by
// name (and namespace) or by label selector among the objects of paramKind; the policy runs once
// per parameter object. With none found, parameterNotFoundAction decides: Deny (the default)
// fails the request, Allow lets it through.
import { isObject } from '../jmespath/values.ts';
import { compileLabelSelector, labelsMatch } from './label-selector.ts';
import type { LabelSelector } from './label-selector.ts';

export interface ParamSource {
  apiVersion: string;
  kind: string;
  name: string | null;
  namespace: string | null;
  selector: LabelSelector | null;
  notFoundAction: 'Allow' | 'Deny';
}

export function compileParams(paramKind: unknown, paramRef: unknown, where: string): ParamSource | null {
  if (!isObject(paramKind)) return null;
  const ref = isObject(paramRef) ? paramRef : {};
  return {
    apiVersion: String(paramKind.apiVersion ?? ''),
    kind: String(paramKind.kind ?? ''),
    name: typeof ref.name === 'string' && ref.name !== '' ? ref.name : null,
    namespace: typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace : null,
    selector: compileLabelSelector(ref.selector, `${where}.paramRef.selector`),
    notFoundAction: ref.parameterNotFoundAction === 'Allow' ? 'Allow' : 'Deny',
  };
}

function labelsOf(o: Record<string, unknown>): Record<string, string> {
  const meta = isObject(o.metadata) ? o.metadata : {};
  const out: Record<string, string> = {};
  if (isObject(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) out[k] = String(v);
  return out;
}

/** The parameter objects for a request in `namespace` among the objects available. */
export function selectParams(source: ParamSource, available: Record<string, unknown>[], namespace: string): Record<string, unknown>[] {
  return available.filter((o) => {
    if (o.apiVersion !== source.apiVersion || o.kind !== source.kind) return false;
    const meta = isObject(o.metadata) ? o.metadata : {};
    const ns = String(meta.namespace ?? '');
    const wantNamespace = source.namespace ?? (ns === '' ? '' : namespace);
    if (ns !== '' && wantNamespace !== '' && ns !== wantNamespace) return false;
    if (source.name !== null) return meta.name === source.name;
    return labelsMatch(source.selector ?? { matchLabels: {}, requirements: [] }, labelsOf(o));
  });
}
