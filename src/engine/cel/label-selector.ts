// Kubernetes label selectors as admission policies use them (namespaceSelector, objectSelector,
// paramRef.selector): exact matchLabels and In / NotIn / Exists / DoesNotExist expressions. An
// empty selector matches everything; an absent one is `null` and matches everything too.
import { isObject } from '../jmespath/values.ts';

interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  requirements: Requirement[];
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

export function compileLabelSelector(raw: unknown, where: string): LabelSelector | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) throw new Error(`${where} must be a label selector object`);
  const matchLabels: Record<string, string> = {};
  if (isObject(raw.matchLabels)) for (const [k, v] of Object.entries(raw.matchLabels)) matchLabels[k] = String(v);
  const requirements: Requirement[] = [];
  const expressions = Array.isArray(raw.matchExpressions) ? raw.matchExpressions : [];
  expressions.forEach((e, i) => {
    if (!isObject(e) || typeof e.key !== 'string' || !OPERATORS.has(String(e.operator))) {
      throw new Error(`${where}.matchExpressions[${i}] needs a key and an operator of In, NotIn, Exists or DoesNotExist`);
    }
    requirements.push({ key: e.key, operator: e.operator as Requirement['operator'], values: Array.isArray(e.values) ? e.values.map(String) : [] });
  });
  return { matchLabels, requirements };
}

export function labelsMatch(selector: LabelSelector | null, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels)) if (labels[k] !== v) return false;
  for (const r of selector.requirements) {
    const present = Object.prototype.hasOwnProperty.call(labels, r.key);
    if (r.operator === 'In' && !(present && r.values.includes(labels[r.key]))) return false;
    if (r.operator === 'NotIn' && present && r.values.includes(labels[r.key])) return false;
    if (r.operator === 'Exists' && !present) return false;
    if (r.operator === 'DoesNotExist' && present) return false;
  }
  return true;
}
