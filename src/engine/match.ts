// match / exclude: any/all lists of resource filters (or the legacy single filter), with kinds
// (Kind, version/Kind, group/version/Kind, wildcards, subresources), names, namespaces, annotations,
// selector, namespaceSelector, operations, subjects, roles and clusterRoles.
import { isObject } from './jmespath/values.ts';
import { matchesAny, wildcardMatch } from './wildcard.ts';

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
}

export interface MatchInput {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  operation: string;
  userInfo: UserInfo;
  roles: string[];
  clusterRoles: string[];
  namespaceLabels: (namespace: string) => Record<string, string> | undefined;
}

interface KindSelector { group: string; version: string; kind: string; subresource: string }

type Requirement = { key: string; op: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[] };
interface Selector { matchLabels: Record<string, string>; expressions: Requirement[] }

interface Subject { kind: string; name: string; namespace?: string }

interface Filter {
  kinds: KindSelector[] | null;
  names: string[] | null;
  namespaces: string[] | null;
  annotations: Record<string, string> | null;
  selector: Selector | null;
  namespaceSelector: Selector | null;
  operations: string[] | null;
  subjects: Subject[] | null;
  roles: string[] | null;
  clusterRoles: string[] | null;
  empty: boolean;
}

export interface CompiledMatch {
  any: Filter[] | null;
  all: Filter[] | null;
}

function parseKind(s: string): KindSelector {
  const parts = s.split('/');
  if (parts.length === 1) return { group: '*', version: '*', kind: parts[0], subresource: '' };
  if (parts.length === 2) {
    // "v1/Pod" (version/kind) or "Pod/exec" (kind/subresource)
    if (/^[A-Z]/.test(parts[0])) return { group: '*', version: '*', kind: parts[0], subresource: parts[1] };
    return { group: '*', version: parts[0], kind: parts[1], subresource: '' };
  }
  if (parts.length === 3) {
    if (/^[A-Z*]/.test(parts[1]) && !/^v\d/.test(parts[1]) && parts[1] !== '*') {
      return { group: '*', version: parts[0], kind: parts[1], subresource: parts[2] };
    }
    return { group: parts[0], version: parts[1], kind: parts[2], subresource: '' };
  }
  return { group: parts[0], version: parts[1], kind: parts[2], subresource: parts.slice(3).join('/') };
}

function strList(v: unknown): string[] | null {
  if (!Array.isArray(v)) return null;
  return v.map((x) => String(x));
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) out[k] = x === null || x === undefined ? '' : String(x);
  return out;
}

function compileSelector(v: unknown): Selector | null {
  if (!isObject(v)) return null;
  const expressions: Requirement[] = [];
  if (Array.isArray(v.matchExpressions)) {
    for (const e of v.matchExpressions) {
      if (!isObject(e)) continue;
      expressions.push({ key: String(e.key), op: String(e.operator) as Requirement['op'], values: strList(e.values) ?? [] });
    }
  }
  return { matchLabels: strMap(v.matchLabels), expressions };
}

function compileFilter(raw: unknown): Filter {
  const f = isObject(raw) ? raw : {};
  const res = isObject(f.resources) ? f.resources : {};
  const names = strList(res.names) ?? (typeof res.name === 'string' ? [res.name] : null);
  const subjects = Array.isArray(f.subjects)
    ? f.subjects.filter(isObject).map((s) => ({ kind: String(s.kind ?? ''), name: String(s.name ?? ''), namespace: typeof s.namespace === 'string' ? s.namespace : undefined }))
    : null;
  const filter: Filter = {
    kinds: Array.isArray(res.kinds) ? res.kinds.map((k) => parseKind(String(k))) : null,
    names,
    namespaces: strList(res.namespaces),
    annotations: isObject(res.annotations) ? strMap(res.annotations) : null,
    selector: compileSelector(res.selector),
    namespaceSelector: compileSelector(res.namespaceSelector),
    operations: strList(res.operations),
    subjects,
    roles: strList(f.roles),
    clusterRoles: strList(f.clusterRoles),
    empty: false,
  };
  filter.empty = !filter.kinds && !filter.names && !filter.namespaces && !filter.annotations && !filter.selector &&
    !filter.namespaceSelector && !filter.operations && !filter.subjects && !filter.roles && !filter.clusterRoles;
  return filter;
}

/** Compiles a match or exclude block; null when absent. */
export function compileMatch(raw: unknown): CompiledMatch | null {
  if (!isObject(raw)) return null;
  const any = Array.isArray(raw.any) ? raw.any.map(compileFilter) : null;
  const all = Array.isArray(raw.all) ? raw.all.map(compileFilter) : null;
  if (any || all) return { any, all };
  if (raw.resources || raw.subjects || raw.roles || raw.clusterRoles) return { any: null, all: [compileFilter(raw)] };
  return { any: null, all: null };
}

/** The kinds a match block names (for autogen decisions). */
export function matchKinds(m: CompiledMatch | null): string[] {
  if (!m) return [];
  const out: string[] = [];
  for (const f of [...(m.any ?? []), ...(m.all ?? [])]) for (const k of f.kinds ?? []) out.push(k.kind);
  return out;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

function kindMatches(sel: KindSelector, input: MatchInput): boolean {
  if (sel.subresource) return false;
  if (!wildcardMatch(sel.kind, input.kind)) return false;
  const gv = splitApiVersion(input.apiVersion);
  if (sel.group !== '*' && !wildcardMatch(sel.group, gv.group)) return false;
  if (sel.version !== '*' && !wildcardMatch(sel.version, gv.version)) return false;
  return true;
}

function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) {
    const hasKey = Object.keys(labels).some((lk) => wildcardMatch(k, lk) && wildcardMatch(v, labels[lk]));
    if (!hasKey) return false;
  }
  for (const r of sel.expressions) {
    const present = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'In': if (!present || !r.values.includes(labels[r.key])) return false; break;
      case 'NotIn': if (present && r.values.includes(labels[r.key])) return false; break;
      case 'Exists': if (!present) return false; break;
      case 'DoesNotExist': if (present) return false; break;
      default: return false;
    }
  }
  return true;
}

function subjectMatches(s: Subject, input: MatchInput): boolean {
  const user = input.userInfo.username ?? '';
  switch (s.kind) {
    case 'ServiceAccount': return user === `system:serviceaccount:${s.namespace ?? ''}:${s.name}`;
    case 'User': return wildcardMatch(s.name, user);
    case 'Group': return (input.userInfo.groups ?? []).some((g) => wildcardMatch(s.name, g));
    default: return false;
  }
}

function filterMatches(f: Filter, input: MatchInput): boolean {
  if (f.empty) return false;
  if (f.kinds && !f.kinds.some((k) => kindMatches(k, input))) return false;
  if (f.names && !matchesAny(f.names, input.name)) return false;
  if (f.namespaces) {
    const ns = input.kind === 'Namespace' && input.apiVersion === 'v1' ? input.name : input.namespace;
    if (!matchesAny(f.namespaces, ns)) return false;
  }
  if (f.annotations) {
    for (const [k, v] of Object.entries(f.annotations)) {
      const ok = Object.keys(input.annotations).some((ak) => wildcardMatch(k, ak) && wildcardMatch(v, input.annotations[ak]));
      if (!ok) return false;
    }
  }
  if (f.selector && !selectorMatches(f.selector, input.labels)) return false;
  if (f.namespaceSelector) {
    if (input.kind === 'Namespace') {
      if (!selectorMatches(f.namespaceSelector, input.labels)) return false;
    } else {
      if (!input.namespace) return false;
      const labels = input.namespaceLabels(input.namespace);
      if (!labels || !selectorMatches(f.namespaceSelector, labels)) return false;
    }
  }
  if (f.operations && !f.operations.includes(input.operation)) return false;
  if (f.subjects && !f.subjects.some((s) => subjectMatches(s, input))) return false;
  if (f.roles && !f.roles.some((r) => input.roles.includes(r))) return false;
  if (f.clusterRoles && !f.clusterRoles.some((r) => input.clusterRoles.includes(r))) return false;
  return true;
}

/** True when the resource satisfies a match block. */
export function matches(m: CompiledMatch, input: MatchInput): boolean {
  if (m.any && m.any.length > 0 && !m.any.some((f) => filterMatches(f, input))) return false;
  if (m.all && m.all.length > 0 && !m.all.every((f) => filterMatches(f, input))) return false;
  return (m.any?.length ?? 0) + (m.all?.length ?? 0) > 0;
}

/** True when an exclude block excludes the resource. */
export function excluded(m: CompiledMatch | null, input: MatchInput): boolean {
  if (!m) return false;
  if (m.any && m.any.length > 0 && m.any.some((f) => filterMatches(f, input))) return true;
  if (m.all && m.all.length > 0 && m.all.every((f) => filterMatches(f, input))) return true;
  return false;
}

/** Rewrites the kinds of every filter (used by autogen). */
export function withKinds(raw: unknown, kinds: string[]): unknown {
  if (!isObject(raw)) return raw;
  const rewrite = (filter: unknown): unknown => {
    if (!isObject(filter)) return filter;
    const res = isObject(filter.resources) ? filter.resources : null;
    if (!res || !Array.isArray(res.kinds)) return filter;
    return { ...filter, resources: { ...res, kinds } };
  };
  const out: Record<string, unknown> = { ...raw };
  if (Array.isArray(raw.any)) out.any = raw.any.map(rewrite);
  if (Array.isArray(raw.all)) out.all = raw.all.map(rewrite);
  if (isObject(raw.resources)) Object.assign(out, rewrite(raw));
  return out;
}
