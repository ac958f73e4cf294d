/**
 * What a spec may render, decided by the operator (flags or environment of kspec), never by the
 * repository: kspec holds write access to the admission policies of every cluster it serves, so a
 * commit must not be able to make Kyverno mutate, generate (a ClusterRoleBinding to
 * cluster-admin, say) or land Policies in any namespace it likes.
 */
export const RULE_TYPES = ['validate', 'mutate', 'generate', 'verifyImages'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export interface RenderRules {
  /** Rule types a check may use; `validate` is always among them. */
  allowedRuleTypes: ReadonlySet<RuleType>;
  /** Namespaces a namespaced Policy may land in (names, or patterns with `*`); undefined: any. */
  policyNamespaces?: readonly string[];
}

export const DEFAULT_RENDER_RULES: RenderRules = { allowedRuleTypes: new Set(['validate']) };

/** A problem of one rule or of the policy's namespace, at a path inside the policy. */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

export function ruleProblems(policy: { kind: string; metadata: { namespace?: string }; spec: { rules?: unknown[] } }, rules: RenderRules): RuleProblem[] {
  const problems: RuleProblem[] = [];
  (policy.spec.rules ?? []).forEach((rule, i) => {
    const types = RULE_TYPES.filter((type) => (rule as Record<string, unknown>)[type] !== undefined);
    const name = JSON.stringify((rule as { name?: unknown }).name ?? `#${i}`);
    if (types.length !== 1) {
      problems.push({ path: ['spec', 'rules', i], message: `rule ${name} must have exactly one of ${RULE_TYPES.join(', ')}, found ${types.length ? types.join(' and ') : 'none'}` });
      return;
    }
    const [type] = types;
    if (!rules.allowedRuleTypes.has(type)) {
      problems.push({ path: ['spec', 'rules', i, type], message: `rule ${name} is a ${type} rule; kspec renders ${[...rules.allowedRuleTypes].join(', ')} rules only (the operator allows more with --allow-rule-types)` });
    }
  });
  const namespace = policy.metadata.namespace;
  if (policy.kind === 'Policy' && rules.policyNamespaces && namespace !== undefined && !rules.policyNamespaces.some((p) => matches(p, namespace))) {
    problems.push({ path: ['metadata', 'namespace'], message: `Policies may land only in namespaces ${rules.policyNamespaces.join(', ')} (--allow-policy-namespaces), not in ${namespace}` });
  }
  return problems;
}

function matches(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(name);
}

/** Parses `--allow-rule-types mutate,generate`; unknown types are returned in `unknown`. */
export function parseRenderRules(ruleTypes: string | undefined, namespaces: string | undefined): { rules: RenderRules; unknown: string[] } {
  const listed = (ruleTypes ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = listed.filter((t) => !(RULE_TYPES as readonly string[]).includes(t));
  const allowed = new Set<RuleType>(['validate', ...(listed.filter((t) => !unknown.includes(t)) as RuleType[])]);
  const patterns = (namespaces ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  return { rules: { allowedRuleTypes: allowed, ...(patterns.length ? { policyNamespaces: patterns } : {}) }, unknown };
}
