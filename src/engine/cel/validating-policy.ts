// Compiling a ValidatingPolicy (policies.kyverno.io v1alpha1, v1beta1, v1; and its namespaced
// variant) into the engine's CompiledPolicy: one rule for the policy as written, plus Kyverno's
// autogen variants for Pod controllers when the policy matches Pods only.
import { isObject } from '../jmespath/values.ts';
import type { CompiledPolicy, CompiledRule } from '../types.ts';
import { emptyValidation } from '../compile.ts';
import { CRONJOB_TEMPLATE, POD_CONTROLLERS, POD_TEMPLATE, rewriteStrings, rewriteForTemplate } from './autogen.ts';
import type { Controller } from './autogen.ts';
import { compileExpressionSet } from './expressions.ts';
import { compileMatchConstraints, constraintKinds } from './match-constraints.ts';
import { compileParams } from './params.ts';
import type { CelRule } from './rule.ts';

export { isValidatingPolicy, VALIDATING_POLICY_KINDS, VALIDATING_POLICY_VERSIONS } from './validating-policy-kind.ts';

type Spec = Record<string, unknown>;

/** Kyverno's condition for autogen: one rule for core v1 pods, no names, excludes or object selector. */
function canAutogen(match: unknown): boolean {
  if (!isObject(match)) return false;
  const os = isObject(match.objectSelector) ? match.objectSelector : null;
  if (os && ((isObject(os.matchLabels) && Object.keys(os.matchLabels).length) || (Array.isArray(os.matchExpressions) && os.matchExpressions.length))) return false;
  if (Array.isArray(match.excludeResourceRules) && match.excludeResourceRules.length) return false;
  const rules = Array.isArray(match.resourceRules) ? match.resourceRules : [];
  if (rules.length !== 1 || !isObject(rules[0])) return false;
  const r = rules[0];
  const only = (v: unknown, x: string) => Array.isArray(v) && v.length === 1 && v[0] === x;
  if (Array.isArray(r.resourceNames) && r.resourceNames.length) return false;
  return only(r.apiGroups, '') && only(r.apiVersions, 'v1') && only(r.resources, 'pods');
}

/** The controllers autogen covers: all by default, or spec.autogen.podControllers.controllers (resource names). */
function autogenControllers(spec: Spec): Controller[] {
  if (!canAutogen(spec.matchConstraints)) return [];
  const autogen = isObject(spec.autogen) ? spec.autogen : isObject(spec.autogenConfiguration) ? spec.autogenConfiguration : null;
  const pc = autogen && isObject(autogen.podControllers) ? autogen.podControllers : null;
  const wanted = pc && Array.isArray(pc.controllers) ? pc.controllers.map(String) : null;
  // Kyverno's ValidatingPolicy autogen has no ReplicationController variant.
  const candidates = POD_CONTROLLERS.filter((c) => c.kind !== 'ReplicationController');
  return wanted ? candidates.filter((c) => wanted.includes(c.resource)) : candidates;
}

function autogenSpec(spec: Spec, controllers: Controller[], cron: boolean): Spec {
  const match = spec.matchConstraints as Record<string, unknown>;
  const rule0 = (match.resourceRules as Record<string, unknown>[])[0];
  const byGroup = new Map<string, string[]>();
  for (const c of controllers) byGroup.set(`${c.group}/${c.version}`, [...(byGroup.get(`${c.group}/${c.version}`) ?? []), c.resource]);
  const resourceRules = [...byGroup].sort(([a], [b]) => a.localeCompare(b)).map(([gv, resources]) => {
    const [group, version] = gv.split('/');
    return { apiGroups: [group], apiVersions: [version], resources: resources.sort(), operations: rule0.operations };
  });
  const template = cron ? CRONJOB_TEMPLATE : POD_TEMPLATE;
  const rewritten = rewriteStrings({ ...spec, matchConstraints: undefined }, (s) => rewriteForTemplate(s, template, true)) as Spec;
  return { ...rewritten, matchConstraints: { resourceRules, ...(match.namespaceSelector ? { namespaceSelector: match.namespaceSelector } : {}) } };
}

function celRule(name: string, kind: string, spec: Spec, where: string): CelRule {
  const constraints = compileMatchConstraints(spec.matchConstraints, `${where}.matchConstraints`);
  return {
    constraints,
    expressions: compileExpressionSet(
      { matchConditions: spec.matchConditions, variables: spec.variables, validations: spec.validations, auditAnnotations: spec.auditAnnotations, failurePolicy: spec.failurePolicy },
      where,
    ),
    params: compileParams(spec.paramKind, spec.paramRef, where),
    policyName: name,
    policyKind: kind,
  };
}

function toRule(name: string, rule: CelRule): CompiledRule {
  return {
    name,
    matchKinds: constraintKinds(rule.constraints!),
    match: null,
    exclude: null,
    context: [],
    preconditions: null,
    validation: emptyValidation(''),
    cel: rule,
  };
}

/** Compiles a ValidatingPolicy. Throws an Error naming the field when it is malformed. */
export function compileValidatingPolicy(policy: Record<string, unknown>): CompiledPolicy {
  const kind = String(policy.kind);
  const meta = isObject(policy.metadata) ? policy.metadata : null;
  if (!meta || typeof meta.name !== 'string' || meta.name === '') throw new Error(`${kind} metadata.name is required`);
  const name = meta.name;
  const spec = isObject(policy.spec) ? policy.spec : null;
  if (!spec) throw new Error(`${kind} ${name}: spec is required`);
  const prefix = `${kind} ${name}: `;
  try {
    if (!Array.isArray(spec.validations) || spec.validations.length === 0) throw new Error('spec.validations must be a non-empty list');
    const rules = [toRule(name, celRule(name, kind, spec, 'spec'))];
    const controllers = autogenControllers(spec);
    const plain = controllers.filter((c) => !c.cron);
    if (plain.length) rules.push(toRule(name, celRule(name, kind, autogenSpec(spec, plain, false), 'spec (autogen)')));
    if (controllers.some((c) => c.cron)) rules.push(toRule(name, celRule(name, kind, autogenSpec(spec, controllers.filter((c) => c.cron), true), 'spec (autogen for CronJobs)')));
    const annotations = isObject(meta.annotations) ? meta.annotations : {};
    return {
      name,
      namespace: kind === 'NamespacedValidatingPolicy' ? String(meta.namespace ?? 'default') : undefined,
      kind,
      scored: annotations['policies.kyverno.io/scored'] !== 'false',
      rules,
      unsupportedRules: [],
      applyOne: false,
    };
  } catch (err) {
    throw new Error(prefix + (err as Error).message);
  }
}
