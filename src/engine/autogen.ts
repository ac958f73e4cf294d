// Rule auto-generation for Pod controllers: a rule written for Pods also runs, as
// `autogen-<rule>`, on Deployments, DaemonSets, StatefulSets, Jobs, ReplicaSets and
// ReplicationControllers (pod template at spec.template) and, as `autogen-cronjob-<rule>`, on
// CronJobs (spec.jobTemplate.spec.template). The annotation
// `pod-policies.kyverno.io/autogen-controllers` narrows the controllers or turns it off (`none`).
import { isObject } from './jmespath/values.ts';
import { withKinds } from './match.ts';
import { CRONJOB_TEMPLATE, POD_TEMPLATE, rewriteForTemplate, rewriteStrings as rewriteCel } from './cel/autogen.ts';

export const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';
const DEFAULT_CONTROLLERS = ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'CronJob'];

type RawRule = Record<string, unknown>;

function filtersOf(block: unknown): Record<string, unknown>[] {
  if (!isObject(block)) return [];
  const out: Record<string, unknown>[] = [];
  for (const key of ['any', 'all']) {
    const list = block[key];
    if (Array.isArray(list)) for (const f of list) if (isObject(f)) out.push(f);
  }
  if (isObject(block.resources)) out.push(block);
  return out;
}

function kindName(k: string): string {
  const parts = k.split('/');
  return parts[parts.length - 1];
}

/** Checks one filter: autogen needs plain Pod filters (no names, selectors or annotations). */
function filterSupportsAutogen(f: Record<string, unknown>, needed: { value: boolean }): boolean {
  const res = isObject(f.resources) ? f.resources : {};
  if (res.name || (Array.isArray(res.names) && res.names.length) || res.selector || res.annotations) return false;
  const kinds = Array.isArray(res.kinds) ? res.kinds.map((k) => kindName(String(k))) : [];
  if (kinds.some((k) => k !== 'Pod')) return false;
  if (kinds.includes('Pod')) needed.value = true;
  return true;
}

/** The controllers a policy's Pod rules expand to, or [] when autogen does not apply. */
export function autogenControllers(policy: Record<string, unknown>, rules: RawRule[]): string[] {
  const meta = isObject(policy.metadata) ? policy.metadata : {};
  const annotations = isObject(meta.annotations) ? meta.annotations : {};
  const annotation = annotations[AUTOGEN_ANNOTATION];
  let controllers = DEFAULT_CONTROLLERS;
  if (typeof annotation === 'string') {
    if (annotation.trim().toLowerCase() === 'none') return [];
    controllers = annotation.split(',').map((s) => s.trim()).filter((s) => DEFAULT_CONTROLLERS.includes(s));
  }
  const needed = { value: false };
  for (const rule of rules) {
    if (rule.mutate || rule.generate || rule.verifyImages) return [];
    for (const f of [...filtersOf(rule.match), ...filtersOf(rule.exclude)]) {
      if (!filterSupportsAutogen(f, needed)) return [];
    }
  }
  return needed.value ? controllers : [];
}

function rewriteStrings(value: unknown, replace: (s: string) => string): unknown {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((v) => rewriteStrings(v, replace));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[replace(k)] = rewriteStrings(v, replace);
    return out;
  }
  return value;
}

function podPathsTo(prefix: string): (s: string) => string {
  return (s) =>
    s.replace(/request\.(object|oldObject)\.(spec|metadata)\b/g, (_m, which: string, part: string) => `request.${which}.${prefix}.${part}`);
}

function wrap(pattern: unknown, cron: boolean): unknown {
  const template = { template: pattern };
  return cron ? { spec: { jobTemplate: { spec: template } } } : { spec: template };
}

function generate(rule: RawRule, name: string, kinds: string[], cron: boolean): RawRule {
  const prefix = cron ? 'spec.jobTemplate.spec.template' : 'spec.template';
  const body: RawRule = {};
  for (const [k, v] of Object.entries(rule)) {
    if (k === 'name' || k === 'match' || k === 'exclude') continue;
    body[k] = rewriteStrings(v, podPathsTo(prefix));
  }
  const out: RawRule = { name, match: withKinds(rule.match, kinds), ...body };
  if (rule.exclude) out.exclude = withKinds(rule.exclude, kinds);
  const validate = isObject(out.validate) ? { ...out.validate } : null;
  // CEL expressions name the object as `object`, not `request.object`: they get Kyverno's CEL rewrite.
  if (validate?.cel || rule.celPreconditions) {
    const rewrite = (s: string) => rewriteForTemplate(s, cron ? CRONJOB_TEMPLATE : POD_TEMPLATE, false);
    if (validate?.cel) validate.cel = rewriteCel(rule.validate && isObject(rule.validate) ? rule.validate.cel : validate.cel, rewrite);
    if (rule.celPreconditions) out.celPreconditions = rewriteCel(rule.celPreconditions, rewrite);
  }
  if (validate) {
    if (validate.pattern !== undefined) validate.pattern = wrap(validate.pattern, cron);
    if (Array.isArray(validate.anyPattern)) validate.anyPattern = validate.anyPattern.map((p) => wrap(p, cron));
    out.validate = validate;
  }
  return out;
}

/** Returns the generated rules (in Kyverno's order: controllers first, then CronJob). */
export function generateAutogenRules(policy: Record<string, unknown>, rules: RawRule[]): RawRule[] {
  const controllers = autogenControllers(policy, rules);
  if (controllers.length === 0) return [];
  const podControllers = controllers.filter((c) => c !== 'CronJob');
  const out: RawRule[] = [];
  for (const rule of rules) {
    const name = String(rule.name ?? '');
    const kinds = filtersOf(rule.match).flatMap((f) => (isObject(f.resources) && Array.isArray(f.resources.kinds) ? f.resources.kinds : []));
    if (!kinds.some((k) => kindName(String(k)) === 'Pod')) continue;
    if (podControllers.length) out.push(generate(rule, `autogen-${name}`, podControllers, false));
  }
  if (controllers.includes('CronJob')) {
    for (const rule of rules) {
      const name = String(rule.name ?? '');
      const kinds = filtersOf(rule.match).flatMap((f) => (isObject(f.resources) && Array.isArray(f.resources.kinds) ? f.resources.kinds : []));
      if (!kinds.some((k) => kindName(String(k)) === 'Pod')) continue;
      out.push(generate(rule, `autogen-cronjob-${name}`, ['CronJob'], true));
    }
  }
  return out;
}
