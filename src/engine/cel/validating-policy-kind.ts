// Whether a document is a ValidatingPolicy, apart from the code that compiles one: rendering
// asks this of every policy, and should not load the engine and its CEL library to do so.
import { isObject } from '../jmespath/values.ts';

export const VALIDATING_POLICY_KINDS = ['ValidatingPolicy', 'NamespacedValidatingPolicy'];
export const VALIDATING_POLICY_VERSIONS = ['policies.kyverno.io/v1alpha1', 'policies.kyverno.io/v1beta1', 'policies.kyverno.io/v1'];

export function isValidatingPolicy(doc: unknown): boolean {
  return isObject(doc) && typeof doc.kind === 'string' && VALIDATING_POLICY_KINDS.includes(doc.kind) &&
    typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('policies.kyverno.io/');
}
