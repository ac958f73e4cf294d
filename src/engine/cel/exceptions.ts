// PolicyExceptions for CEL policies (policies.kyverno.io PolicyException): an exception names the
// policies it covers (spec.policyRefs: name and kind) and exempts the requests for which all its
// matchConditions are true. An exempted resource gets a skip result, as Kyverno reports it.
import { isObject } from '../jmespath/values.ts';
import { compileExpressionSet } from './expressions.ts';
import type { NamedProgram } from './expressions.ts';

export interface CelException {
  name: string;
  policyRefs: Array<{ name: string; kind: string }>;
  matchConditions: NamedProgram[];
}

/** True for the PolicyException kind that CEL policies use. */
export function isCelException(doc: Record<string, unknown>): boolean {
  return doc.kind === 'PolicyException' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('policies.kyverno.io/');
}

export function compileCelException(doc: Record<string, unknown>): CelException {
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  const name = String(meta.name ?? '');
  const spec = isObject(doc.spec) ? doc.spec : {};
  const refs = Array.isArray(spec.policyRefs) ? spec.policyRefs.filter(isObject) : [];
  const set = compileExpressionSet({ matchConditions: spec.matchConditions, validations: [] }, `exception ${name}: spec`);
  return {
    name,
    policyRefs: refs.map((r) => ({ name: String(r.name ?? ''), kind: String(r.kind ?? '') })),
    matchConditions: set.matchConditions,
  };
}

/** The exceptions that cover a policy of this name and kind. */
export function exceptionsFor(exceptions: CelException[], policy: string, kind: string): CelException[] {
  return exceptions.filter((e) => e.policyRefs.some((r) => r.name === policy && (r.kind === '' || r.kind === kind)));
}
