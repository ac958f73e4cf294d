// What a planned policy change does to the live resources of its cluster: the desired policy
// evaluated by kspec's engine against what is running now, and the live (previous) policy too, so
// that a removed or relaxed policy says which violations it stops reporting. Pure: the resources
// are observed elsewhere (observe-resources.ts) and passed in.
//
// A violating resource is "denied" when one of the rules it fails is Enforce: Kyverno evaluates
// an admission request as it evaluates the live object here, so that resource's next create or
// update (a rollout, a restart, a re-apply) is refused. Audit rules only report it.
import { compilePolicy, evaluatePolicy } from '../engine/index.ts';
import type { CompiledPolicy, RuleResult } from '../engine/index.ts';
import type { KubeItem } from '../cluster/resource-lister.ts';
import { hasContext, KYVERNO_DEFAULT_FILTERS, namespaceOf } from '../compliance/engine-source.ts';
import type { ResourceFilters } from '../compliance/engine-source.ts';
import { isBackgroundScanned } from '../render/desired-policy.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import { failureActions } from '../render/failure-action.ts';

/** Examples kept per policy (the counts stay true). */
export const MAX_IMPACT_EXAMPLES = 10;

const MAX_EXAMPLE_MESSAGE = 300;

/** One policy a plan creates, changes or deletes. */
export interface PolicyChange {
  change: 'create' | 'change' | 'delete';
  /** The policy as the plan leaves it; absent when it is deleted. */
  desired?: KyvernoPolicy;
  /** The policy live now; absent when it is created. */
  previous?: KyvernoPolicy;
  policyID?: string;
  checkID?: string;
}

/** The live resources of a target that the changed policies match, and the namespace labels. */
export interface ObservedResources {
  items: KubeItem[];
  namespaceLabels: Map<string, Record<string, string>>;
  /** Why the resources of a policy (by name) are incomplete: a kind not listable, a LIST that failed. */
  problems: Map<string, string[]>;
}

export interface ImpactExample {
  kind: string;
  namespace?: string;
  name: string;
  message: string;
}

export interface PolicyImpact {
  /** Name of the Kyverno policy. */
  policy: string;
  kind: string;
  namespace?: string;
  policyID?: string;
  checkID?: string;
  change: PolicyChange['change'];
  /** enforce when a rule of the policy (after the change; before it, for a deleted one) denies, monitor when all only report. */
  mode: 'enforce' | 'monitor';
  /** Live resources the policy, as planned, reports as violating. */
  violating: number;
  /** Of those, the ones an Enforce rule would deny on their next create or update. */
  wouldDeny: number;
  /** Up to MAX_IMPACT_EXAMPLES violating resources, denied ones first. */
  examples: ImpactExample[];
  /** Resources the live policy reports today that the planned one no longer does (removed or relaxed). */
  noLongerReported: number;
  noLongerReportedExamples?: ImpactExample[];
  /** Why the figures are missing or incomplete. */
  notes?: string[];
}

interface Violator {
  example: ImpactExample;
  denied: boolean;
}

/**
 * The impact of each change on the observed resources, in the order of the changes. The
 * resources are filtered as Kyverno's background scan filters them (system namespaces and a few
 * kinds are left out).
 */
export function policyImpact(changes: PolicyChange[], observed: ObservedResources, filters: ResourceFilters = KYVERNO_DEFAULT_FILTERS): PolicyImpact[] {
  const items = observed.items.filter((item) => !filters.namespaces.includes(namespaceOf(item)) && !filters.kinds.includes(String(item.kind)));
  const labels = (ns: string) => observed.namespaceLabels.get(ns);
  return changes.map((change) => {
    const shown = (change.desired ?? change.previous)!;
    const notes: string[] = [];
    const after = change.desired ? violators(change.desired, items, labels, notes) : new Map<string, Violator>();
    const before = change.previous ? violators(change.previous, items, labels, notes) : new Map<string, Violator>();
    for (const policy of [change.desired, change.previous]) notes.push(...((policy && observed.problems.get(policy.metadata.name)) ?? []));
    const violating = [...after.values()];
    const stopped = [...before].filter(([key]) => !after.has(key)).map(([, v]) => v);
    return {
      policy: shown.metadata.name,
      kind: shown.kind,
      ...(shown.metadata.namespace ? { namespace: shown.metadata.namespace } : {}),
      ...(change.policyID ? { policyID: change.policyID } : {}),
      ...(change.checkID ? { checkID: change.checkID } : {}),
      change: change.change,
      mode: enforces(shown) ? 'enforce' : 'monitor',
      violating: violating.length,
      wouldDeny: violating.filter((v) => v.denied).length,
      examples: examplesOf(violating),
      noLongerReported: stopped.length,
      ...(stopped.length ? { noLongerReportedExamples: examplesOf(stopped) } : {}),
      ...(notes.length ? { notes: [...new Set(notes)] } : {}),
    };
  });
}

/**
 * The resources a policy reports, by kind/namespace/name. A policy the engine cannot evaluate
 * here (it does not compile, it reads cluster data, it is admission-only) has none, and a note.
 */
function violators(policy: KyvernoPolicy, items: KubeItem[], namespaceLabels: (ns: string) => Record<string, string> | undefined, notes: string[]): Map<string, Violator> {
  const out = new Map<string, Violator>();
  const name = policy.metadata.name;
  if (!isBackgroundScanned(policy)) {
    notes.push(`${name}: background is false (admission only, it may read the request's user), so it is not evaluated against live resources`);
    return out;
  }
  if (hasContext(policy.spec)) {
    notes.push(`${name}: reads cluster data (apiCall, configMap, ...), which the plan does not evaluate`);
    return out;
  }
  let compiled: CompiledPolicy;
  try {
    compiled = compilePolicy(policy);
  } catch (err) {
    notes.push(`${name}: cannot be evaluated: ${(err as Error).message}`);
    return out;
  }
  if (compiled.unsupportedRules.length) notes.push(`${name}: rules not evaluated by the engine: ${compiled.unsupportedRules.join(', ')}`);
  const actionOf = failureActions(policy as unknown as Record<string, unknown>);
  for (const item of items) {
    const failing = evaluatePolicy(compiled, item, { namespaceLabels }).filter((r) => r.result === 'fail' || r.result === 'error');
    if (failing.length === 0) continue;
    const ref = failing[0].resource;
    out.set(`${ref.kind}/${ref.namespace ?? ''}/${ref.name}`, {
      example: { kind: ref.kind, ...(ref.namespace ? { namespace: ref.namespace } : {}), name: ref.name, message: messageOf(failing) },
      denied: failing.some((r) => actionOf(r.rule) === 'Enforce'),
    });
  }
  return out;
}

function enforces(policy: KyvernoPolicy): boolean {
  const actionOf = failureActions(policy as unknown as Record<string, unknown>);
  const rules = Array.isArray(policy.spec.rules) ? (policy.spec.rules as { name?: unknown }[]) : [{ name: '' }];
  return rules.some((rule) => actionOf(String(rule?.name ?? '')) === 'Enforce');
}

function messageOf(failing: RuleResult[]): string {
  const text = [...new Set(failing.map((r) => `${r.rule}: ${r.result === 'error' ? 'error: ' : ''}${r.message.replace(/\s+/g, ' ').trim()}`))].join('; ');
  return text.length <= MAX_EXAMPLE_MESSAGE ? text : `${text.slice(0, MAX_EXAMPLE_MESSAGE - 1)}…`;
}

function examplesOf(violators: Violator[]): ImpactExample[] {
  const order = (e: ImpactExample) => `${e.namespace ?? ''}/${e.kind}/${e.name}`;
  return [...violators]
    .sort((a, b) => Number(b.denied) - Number(a.denied) || order(a.example).localeCompare(order(b.example)))
    .slice(0, MAX_IMPACT_EXAMPLES)
    .map((v) => v.example);
}
