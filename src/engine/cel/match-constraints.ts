// matchConstraints of an admission policy: which requests it sees. A request matches when one of
// resourceRules names its group, version, resource and operation, none of excludeResourceRules
// does, and the namespace and object selectors accept it.
import { isObject } from '../jmespath/values.ts';
import { compileLabelSelector, labelsMatch } from './label-selector.ts';
import type { LabelSelector } from './label-selector.ts';
import { kindForResource, resourceForKind } from './resources.ts';

export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  resourceNames: string[];
  operations: string[];
  scope: '*' | 'Cluster' | 'Namespaced';
}

export interface MatchConstraints {
  resourceRules: ResourceRule[];
  excludeResourceRules: ResourceRule[];
  namespaceSelector: LabelSelector | null;
  objectSelector: LabelSelector | null;
}

export interface AdmissionTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  operation: string;
  /** Labels of a namespace, undefined when unknown. */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

function compileResourceRule(raw: unknown, where: string): ResourceRule {
  if (!isObject(raw)) throw new Error(`${where} must be an object`);
  const scope = raw.scope === 'Cluster' || raw.scope === 'Namespaced' ? raw.scope : '*';
  return {
    apiGroups: strings(raw.apiGroups),
    apiVersions: strings(raw.apiVersions),
    resources: strings(raw.resources),
    resourceNames: strings(raw.resourceNames),
    operations: strings(raw.operations),
    scope,
  };
}

export function compileMatchConstraints(raw: unknown, where: string): MatchConstraints {
  if (!isObject(raw)) throw new Error(`${where} is required`);
  const rules = (key: string) => {
    const list = raw[key];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw new Error(`${where}.${key} must be a list`);
    return list.map((r, i) => compileResourceRule(r, `${where}.${key}[${i}]`));
  };
  return {
    resourceRules: rules('resourceRules'),
    excludeResourceRules: rules('excludeResourceRules'),
    namespaceSelector: compileLabelSelector(raw.namespaceSelector, `${where}.namespaceSelector`),
    objectSelector: compileLabelSelector(raw.objectSelector, `${where}.objectSelector`),
  };
}

const anyOf = (list: string[], value: string) => list.includes('*') || list.includes(value);

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

function ruleMatches(rule: ResourceRule, t: AdmissionTarget): boolean {
  const { group, version } = splitApiVersion(t.apiVersion);
  if (!anyOf(rule.apiGroups, group) || !anyOf(rule.apiVersions, version)) return false;
  if (!anyOf(rule.operations, t.operation)) return false;
  const resource = resourceForKind(t.kind);
  // "*" is every resource, "*/*" every resource and subresource; subresources are never listed here.
  if (!rule.resources.some((r) => r === '*' || r === '*/*' || r === resource)) return false;
  if (rule.resourceNames.length > 0 && !rule.resourceNames.includes(t.name)) return false;
  if (rule.scope === 'Cluster' && t.namespace !== '') return false;
  if (rule.scope === 'Namespaced' && t.namespace === '') return false;
  return true;
}

function namespaceSelected(selector: LabelSelector | null, t: AdmissionTarget): boolean {
  if (!selector) return true;
  // A Namespace is selected by its own labels; other cluster-scoped objects are never filtered out.
  if (t.kind === 'Namespace' && t.apiVersion === 'v1') return labelsMatch(selector, t.labels);
  if (t.namespace === '') return true;
  return labelsMatch(selector, t.namespaceLabels(t.namespace) ?? {});
}

export function constraintsMatch(c: MatchConstraints, t: AdmissionTarget): boolean {
  if (!c.resourceRules.some((r) => ruleMatches(r, t))) return false;
  if (c.excludeResourceRules.some((r) => ruleMatches(r, t))) return false;
  return namespaceSelected(c.namespaceSelector, t) && labelsMatch(c.objectSelector, t.labels);
}

/** Kind spellings ("apps/v1/Deployment") of the resources the rules name, for listing. */
export function constraintKinds(c: MatchConstraints): string[] {
  const out: string[] = [];
  for (const rule of c.resourceRules) {
    for (const resource of rule.resources) {
      const kind = kindForResource(resource);
      if (!kind) continue;
      for (const group of rule.apiGroups) {
        for (const version of rule.apiVersions) {
          const g = group === '*' ? '*' : group;
          out.push(g === '' ? (version === '*' ? kind : `${version}/${kind}`) : `${g}/${version}/${kind}`);
        }
      }
    }
  }
  return out;
}
