// Compiling a Kyverno ClusterPolicy/Policy (plain JSON) into the engine's ready-to-run form:
// match blocks, conditions and static patterns are prepared once; autogen rules are added.
import { isObject } from './jmespath/values.ts';
import { compileMatch } from './match.ts';
import { compileConditions } from './conditions.ts';
import { compilePattern } from './pattern.ts';
import { hasVariables } from './variables.ts';
import { hasReferences, resolvePatternReferences } from './references.ts';
import { generateAutogenRules } from './autogen.ts';
import { PSS_CONTROL_NAMES } from './podsecurity.ts';
import type { PodSecuritySpec } from './podsecurity.ts';
import { compileValidateCel } from './cel/validate-cel.ts';
import { compileValidatingPolicy, isValidatingPolicy } from './cel/validating-policy.ts';
import type { CompiledForeach, CompiledPattern, CompiledPolicy, CompiledRule, CompiledValidation, ContextEntry } from './types.ts';

function compilePatternValue(raw: unknown, objectPrefix: string): CompiledPattern {
  const resolved = hasReferences(raw) ? resolvePatternReferences(raw, objectPrefix) : raw;
  return hasVariables(resolved) ? { node: null, raw: resolved } : { node: compilePattern(resolved), raw: resolved };
}

function compileContext(raw: unknown, where: string): ContextEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${where}.context must be a list`);
  return raw.map((e, i) => {
    if (!isObject(e) || typeof e.name !== 'string' || e.name === '') throw new Error(`${where}.context[${i}] needs a name`);
    return { name: e.name, raw: e };
  });
}

function compilePodSecurity(raw: unknown, where: string): PodSecuritySpec {
  if (!isObject(raw)) throw new Error(`${where}.podSecurity must be an object`);
  const level = raw.level;
  if (level !== 'baseline' && level !== 'restricted' && level !== 'privileged') {
    throw new Error(`${where}.podSecurity.level must be baseline, restricted or privileged (got ${JSON.stringify(level)})`);
  }
  const exclude = Array.isArray(raw.exclude) ? raw.exclude : [];
  return {
    level,
    version: typeof raw.version === 'string' ? raw.version : 'latest',
    exclude: exclude.map((e, i) => {
      if (!isObject(e) || typeof e.controlName !== 'string') throw new Error(`${where}.podSecurity.exclude[${i}] needs a controlName`);
      if (!PSS_CONTROL_NAMES.includes(e.controlName)) throw new Error(`${where}.podSecurity.exclude[${i}]: unknown controlName ${JSON.stringify(e.controlName)}`);
      return {
        controlName: e.controlName,
        images: Array.isArray(e.images) ? e.images.map(String) : undefined,
        restrictedField: typeof e.restrictedField === 'string' ? e.restrictedField : undefined,
        values: Array.isArray(e.values) ? e.values.map(String) : undefined,
      };
    }),
  };
}

/** A validate block with only its message: what CEL rules carry, their checks being expressions. */
export function emptyValidation(message: string): CompiledValidation {
  return { message, hasMessage: message !== '', pattern: null, anyPattern: null, deny: null, denyPresent: false, foreach: null, podSecurity: null };
}

function compileValidation(raw: Record<string, unknown>, message: string, where: string, top: boolean): CompiledValidation {
  const v = emptyValidation(message);
  const prefix = top ? 'request.object' : 'element';
  if (raw.pattern !== undefined && raw.pattern !== null) v.pattern = compilePatternValue(raw.pattern, prefix);
  if (raw.anyPattern !== undefined && raw.anyPattern !== null) {
    if (!Array.isArray(raw.anyPattern)) throw new Error(`${where}.anyPattern must be a list`);
    v.anyPattern = raw.anyPattern.map((p) => compilePatternValue(p, prefix));
  }
  if (raw.deny !== undefined && raw.deny !== null) {
    v.denyPresent = true;
    const d = isObject(raw.deny) ? raw.deny : {};
    v.deny = compileConditions(d.conditions, `${where}.deny.conditions`);
  }
  const fe = raw.foreach;
  if (fe !== undefined && fe !== null) {
    if (!Array.isArray(fe)) throw new Error(`${where}.foreach must be a list`);
    v.foreach = fe.map((entry, i) => compileForeach(entry, message, `${where}.foreach[${i}]`));
  }
  if (top && raw.podSecurity !== undefined && raw.podSecurity !== null) v.podSecurity = compilePodSecurity(raw.podSecurity, where);
  return v;
}

function compileForeach(raw: unknown, message: string, where: string): CompiledForeach {
  if (!isObject(raw)) throw new Error(`${where} must be an object`);
  if (typeof raw.list !== 'string' || raw.list.trim() === '') throw new Error(`${where}.list is required`);
  const validation = compileValidation(raw, message, where, false);
  if (!validation.pattern && !validation.anyPattern && !validation.denyPresent && !validation.foreach) {
    throw new Error(`${where} needs pattern, anyPattern, deny or foreach`);
  }
  return {
    list: raw.list.trim(),
    context: compileContext(raw.context, where),
    preconditions: compileConditions(raw.preconditions, `${where}.preconditions`),
    validation,
    elementScope: typeof raw.elementScope === 'boolean' ? raw.elementScope : null,
  };
}

function rawMatchKinds(match: unknown): string[] {
  if (!isObject(match)) return [];
  const filters: unknown[] = [...(Array.isArray(match.any) ? match.any : []), ...(Array.isArray(match.all) ? match.all : [])];
  if (isObject(match.resources)) filters.push(match);
  const out: string[] = [];
  for (const f of filters) {
    const res = isObject(f) && isObject(f.resources) ? f.resources : null;
    if (res && Array.isArray(res.kinds)) for (const k of res.kinds) out.push(String(k));
  }
  return out;
}

interface PolicyIdentity {
  name: string;
  kind: string;
}

function compileRule(raw: unknown, index: number, policy: PolicyIdentity): CompiledRule | string {
  const where = `spec.rules[${index}]`;
  if (!isObject(raw)) throw new Error(`${where} must be an object`);
  if (typeof raw.name !== 'string' || raw.name === '') throw new Error(`${where}.name is required`);
  const name = raw.name;
  if (!isObject(raw.validate)) return name;
  const validate = raw.validate;
  if (validate.manifests || validate.assert) return name;
  if (!isObject(raw.match)) throw new Error(`rule ${name}: match is required`);
  const match = compileMatch(raw.match);
  const message = typeof validate.message === 'string' ? validate.message : '';
  // A validate.cel rule runs its CEL expressions; the other validate forms are compiled as patterns and conditions.
  const cel = validate.cel ? compileValidateCel(raw, validate, policy.name, policy.kind, `rule ${name}: validate`) : undefined;
  const validation = cel ? emptyValidation(message) : compileValidation(validate, message, `rule ${name}: validate`, true);
  const kinds = [validation.pattern, validation.anyPattern, validation.denyPresent ? 1 : null, validation.foreach, validation.podSecurity].filter((x) => x !== null);
  if (!cel && kinds.length === 0) throw new Error(`rule ${name}: validate needs one of pattern, anyPattern, deny, foreach, podSecurity or cel`);
  if (kinds.length > 1) throw new Error(`rule ${name}: validate may have only one of pattern, anyPattern, deny, foreach or podSecurity`);
  return {
    name,
    matchKinds: rawMatchKinds(raw.match),
    match,
    exclude: compileMatch(raw.exclude),
    context: compileContext(raw.context, `rule ${name}`),
    preconditions: compileConditions(raw.preconditions, `rule ${name}: preconditions`),
    validation,
    ...(cel ? { cel } : {}),
  };
}

/** Compiles a policy. Throws an Error naming the problem when the policy is malformed. */
export function compilePolicy(policy: unknown): CompiledPolicy {
  if (!isObject(policy)) throw new Error('policy must be an object');
  if (isValidatingPolicy(policy)) return compileValidatingPolicy(policy);
  const kind = typeof policy.kind === 'string' ? policy.kind : '';
  if (kind !== 'ClusterPolicy' && kind !== 'Policy') throw new Error(`unsupported policy kind ${JSON.stringify(policy.kind)} (expected ClusterPolicy, Policy or ValidatingPolicy)`);
  const meta = isObject(policy.metadata) ? policy.metadata : null;
  if (!meta || typeof meta.name !== 'string' || meta.name === '') throw new Error('policy metadata.name is required');
  const spec = isObject(policy.spec) ? policy.spec : null;
  if (!spec) throw new Error(`policy ${meta.name}: spec is required`);
  if (!Array.isArray(spec.rules) || spec.rules.length === 0) throw new Error(`policy ${meta.name}: spec.rules must be a non-empty list`);
  const rules: CompiledRule[] = [];
  const unsupportedRules: string[] = [];
  const validateRules: Record<string, unknown>[] = [];
  const prefix = `policy ${meta.name}: `;
  try {
    spec.rules.forEach((raw, i) => {
      const r = compileRule(raw, i, { name: meta.name as string, kind });
      if (typeof r === 'string') unsupportedRules.push(r);
      else { rules.push(r); validateRules.push(raw as Record<string, unknown>); }
    });
    const generated = generateAutogenRules(policy, spec.rules.filter(isObject));
    for (const g of generated) {
      const r = compileRule(g, rules.length, { name: meta.name as string, kind });
      if (typeof r !== 'string') rules.push(r);
    }
  } catch (err) {
    throw new Error(prefix + (err as Error).message);
  }
  const annotations = isObject(meta.annotations) ? meta.annotations : {};
  return {
    name: meta.name,
    namespace: kind === 'Policy' ? String(meta.namespace ?? 'default') : undefined,
    kind,
    scored: annotations['policies.kyverno.io/scored'] !== 'false',
    rules,
    unsupportedRules,
    applyOne: typeof spec.applyRules === 'string' && spec.applyRules.toLowerCase() === 'one',
  };
}

/**
 * The kind spellings a compiled policy's evaluated rules match, autogen rules included (their
 * Pod controllers and CronJob), deduplicated in rule order. Callers use it to decide which
 * resource types to list for the policy.
 */
export function kindSpellings(compiled: CompiledPolicy): string[] {
  const out = new Set<string>();
  for (const rule of compiled.rules) for (const k of rule.matchKinds) out.add(k);
  return [...out];
}
