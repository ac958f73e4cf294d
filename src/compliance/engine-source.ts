// Compliance from kspec's own engine: the rendered policies evaluated against the live resources
// of the target, the way Kyverno's background scan does it (no admission request: operation
// CREATE, no user info; `spec.background: false` policies are not scanned; Kyverno's default
// resourceFilters leave out system namespaces and a few kinds). Each policy is compiled once and
// each kind is listed once per pass (paginated), however many policies match it.
import { compilePolicy, evaluatePolicy, evaluatePolicyAsync, kindSpellings } from '../engine/index.ts';
import type { CompiledPolicy, EvaluationContext, RuleResult } from '../engine/index.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../render/desired-policy.ts';
import type { ComplianceReads, KubeItem, Resolution, ResourceType } from './compliance-reads.ts';
import { ruleMessage } from './violation-tally.ts';
import type { ViolationTally } from './violation-tally.ts';
import { isBackgroundScanned, policyKey } from '../render/desired-policy.ts';

/** What a background scan leaves out, as Kyverno's default `resourceFilters` config does. */
export interface ResourceFilters {
  kinds: string[];
  namespaces: string[];
}

/** The namespaces and kinds of Kyverno's default resourceFilters (Helm chart `config.resourceFilters`). */
export const KYVERNO_DEFAULT_FILTERS: ResourceFilters = {
  kinds: ['Event', 'Node', 'APIService', 'TokenReview', 'SubjectAccessReview', 'SelfSubjectAccessReview', 'Binding', 'ReplicaSet'],
  namespaces: ['kyverno', 'kube-system', 'kube-public', 'kube-node-lease'],
};

export interface EngineSourceOptions {
  /** The target as the pass observes it: its LISTs are shared with the other specs on it. */
  target: ComplianceReads;
  desired: DesiredPolicy[];
  /** Where violations and policies that cannot be evaluated go, as they are found. */
  tally: ViolationTally;
  /** LIST page size; default 500. */
  pageSize?: number;
  resourceFilters?: ResourceFilters;
  signal?: AbortSignal;
}

export interface EngineSourceStats {
  kinds: number;
  pages: number;
  /** Resources listed and scanned. */
  resources: number;
  /** Resources a rule of some policy applied to (matched, not excluded): what the results cover. */
  applied: number;
  evaluations: number;
  /** Time spent waiting for LIST pages (not overlapped with evaluation). */
  listMs: number;
  evaluateMs: number;
  apiCalls: number;
}

export interface EngineSourceResult {
  errors: string[];
  notes: string[];
  stats: EngineSourceStats;
}

interface Entry {
  desired: DesiredPolicy;
  compiled: CompiledPolicy;
  async: boolean;
}

export async function evaluateLive(options: EngineSourceOptions): Promise<EngineSourceResult> {
  const { target, signal } = options;
  const filters = options.resourceFilters ?? KYVERNO_DEFAULT_FILTERS;
  const result: EngineSourceResult = {
    errors: [],
    notes: [],
    stats: { kinds: 0, pages: 0, resources: 0, applied: 0, evaluations: 0, listMs: 0, evaluateMs: 0, apiCalls: 0 },
  };
  const unevaluable = (d: DesiredPolicy, why: string) => options.tally.unassessed(d.policyId, { resource: policyKey(d.object), message: why });

  const entries: Entry[] = [];
  for (const d of options.desired) {
    const name = d.object.metadata.name;
    if (!isBackgroundScanned(d.object)) {
      result.notes.push(`${name}: background is false, so it is only enforced at admission and not scanned`);
      continue;
    }
    try {
      const compiled = compilePolicy(d.object);
      if (compiled.rules.length === 0) {
        result.notes.push(`${name}: no validate rules the engine evaluates (${compiled.unsupportedRules.join(', ')})`);
        continue;
      }
      if (compiled.unsupportedRules.length) result.notes.push(`${name}: rules not evaluated by the engine: ${compiled.unsupportedRules.join(', ')}`);
      entries.push({ desired: d, compiled, async: hasContext(d.object.spec) });
    } catch (err) {
      result.errors.push(`${name} cannot be evaluated: ${(err as Error).message}`);
      unevaluable(d, `cannot be evaluated: ${(err as Error).message}`);
    }
  }

  const { byType, notes } = await resourceTypesFor((spelling) => target.resolveKind(spelling), entries.map((entry) => ({ compiled: entry.compiled, value: entry })), filters);
  result.notes.push(...notes.map(({ policy, note }) => `${policy}: ${note}`));
  result.notes = [...new Set(result.notes)];

  // Namespace labels feed namespaceSelector and, for CEL policies, namespaceObject.
  const needsNamespaces = entries.some((e) => readsNamespaceLabels(e.desired.object));
  const labels = needsNamespaces ? await target.namespaceLabels({ signal }) : new Map<string, Record<string, string>>();
  const resolvers = target.resolvers({ signal, onCall: () => result.stats.apiCalls++ });
  const ctx: EvaluationContext = { namespaceLabels: (ns) => labels.get(ns), resolvers };
  const syncCtx: EvaluationContext = { namespaceLabels: ctx.namespaceLabels };
  const skipNamespaces = new Set(filters.namespaces);

  // A resource is evaluated against every policy of its kind at once, so its violations are
  // complete here: each spec policy it fails becomes one violation, all failing rules' messages
  // joined, and only that is kept. A kind served by two groups (Ingress in extensions and
  // networking.k8s.io) lists the same objects twice: a resource counts once per policy.
  const kindCounts = new Map<string, number>();
  for (const { type } of byType.values()) kindCounts.set(type.kind, (kindCounts.get(type.kind) ?? 0) + 1);
  const counted = new Set<string>();
  const countsOnce = (policyId: string, resource: RuleResult['resource']) => {
    if ((kindCounts.get(resource.kind) ?? 0) < 2) return true;
    const key = `${policyId}\u0000${resource.namespace ?? ''}\u0000${resource.kind}/${resource.name}`;
    if (counted.has(key)) return false;
    counted.add(key);
    return true;
  };
  /** Evaluates one resource against its kind's policies; true when a rule of one applied to it. */
  const evaluateResource = async (item: KubeItem, list: Entry[]): Promise<boolean> => {
    let failing: Map<string, { resource: RuleResult['resource']; messages: string[] }> | undefined;
    let applied = false;
    for (const entry of list) {
      result.stats.evaluations++;
      const results = entry.async ? await evaluatePolicyAsync(entry.compiled, item, ctx) : evaluatePolicy(entry.compiled, item, syncCtx);
      if (results.length > 0) applied = true;
      for (const r of results) {
        if (r.result !== 'fail' && r.result !== 'error') continue;
        failing ??= new Map();
        const slot = failing.get(entry.desired.policyId) ?? { resource: r.resource, messages: [] };
        const text = ruleMessage({ policy: r.policy, rule: r.rule, result: r.result, message: r.message });
        if (!slot.messages.includes(text)) slot.messages.push(text);
        failing.set(entry.desired.policyId, slot);
      }
    }
    for (const [policyId, { resource, messages }] of failing ?? []) {
      if (!countsOnce(policyId, resource)) continue;
      options.tally.violated(policyId, { ...(resource.namespace ? { namespace: resource.namespace } : {}), resource: `${resource.kind}/${resource.name}` }, messages);
    }
    return applied;
  };

  for (const { type, entries: forType } of [...byType.values()].sort((a, b) => a.type.kind.localeCompare(b.type.kind))) {
    result.stats.kinds++;
    const list = [...forType];
    // Policies are namespaced objects only apply in their own namespace: list only there when all are.
    const namespaces = new Set(list.map((e) => e.compiled.namespace));
    const onlyNamespace = type.namespaced && namespaces.size === 1 && !namespaces.has(undefined) ? [...namespaces][0] : undefined;
    const pages = target.pages(type, { pageSize: options.pageSize, signal, namespace: onlyNamespace, trim: true })[Symbol.asyncIterator]();
    try {
      let t0 = performance.now();
      let next = pages.next();
      for (;;) {
        const page = await next;
        result.stats.listMs += performance.now() - t0;
        if (page.done) break;
        result.stats.pages++;
        next = pages.next(); // fetch the next page while this one is evaluated
        next.catch(() => undefined); // observed when awaited; not unhandled if evaluation stops first
        const t1 = performance.now();
        for (const item of page.value) {
          if (signal?.aborted) throw signal.reason ?? new Error('aborted');
          if (skipNamespaces.has(namespaceOf(item))) continue;
          result.stats.resources++;
          if (await evaluateResource(item, list)) result.stats.applied++;
        }
        t0 = performance.now();
        result.stats.evaluateMs += t0 - t1;
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      const message = `${type.apiVersion} ${type.kind} could not be scanned: ${(err as Error).message}`;
      result.errors.push(message);
      for (const entry of list) unevaluable(entry.desired, message);
    }
  }
  return result;
}

/**
 * Which resource types to list for which policies: every kind a policy's rules match, resolved
 * once through discovery, without the kinds the resource filters leave out. A kind that cannot
 * be listed (a wildcard, a subresource, one the cluster does not serve) gets a note instead.
 */
export async function resourceTypesFor<T>(resolveKind: (spelling: string) => Promise<Resolution>, policies: { compiled: CompiledPolicy; value: T }[], filters: ResourceFilters): Promise<{ byType: Map<string, { type: ResourceType; entries: Set<T> }>; notes: { policy: string; note: string }[] }> {
  const byType = new Map<string, { type: ResourceType; entries: Set<T> }>();
  const notes: { policy: string; note: string }[] = [];
  const resolved = new Map<string, Promise<Resolution>>();
  for (const { compiled, value } of policies) {
    for (const spelling of kindSpellings(compiled)) {
      if (filters.kinds.includes(spelling.split('/').pop()!)) continue;
      let r = resolved.get(spelling);
      if (!r) {
        r = resolveKind(spelling);
        resolved.set(spelling, r);
      }
      const { types, note } = await r;
      if (note) notes.push({ policy: compiled.name, note });
      for (const type of types) {
        const key = `${type.apiVersion}/${type.kind}`;
        const slot = byType.get(key) ?? { type, entries: new Set<T>() };
        slot.entries.add(value);
        byType.set(key, slot);
      }
    }
  }
  return { byType, notes };
}

/** Whether a policy reads namespace labels (namespaceSelector, or a CEL policy's namespaceObject). */
export function readsNamespaceLabels(policy: KyvernoPolicy): boolean {
  return /"namespaceSelector"|namespaceObject/.test(JSON.stringify(policy.spec));
}

/** The namespace a resource filter sees: a Namespace is in itself. */
export function namespaceOf(item: KubeItem): string {
  const meta = item.metadata ?? {};
  if (item.kind === 'Namespace' && item.apiVersion === 'v1') return String(meta.name ?? '');
  return typeof meta.namespace === 'string' ? meta.namespace : '';
}

/** Whether a policy reads cluster data (apiCall, configMap, ...), which only the async engine resolves. */
export function hasContext(spec: Record<string, unknown>): boolean {
  const text = JSON.stringify(spec);
  return text.includes('"apiCall"') || text.includes('"configMap"') || text.includes('"globalReference"') || text.includes('"imageRegistry"') ||
    // CEL's resource library reads through the same apiCall resolver.
    /resource\.(Get|List)\(/.test(text);
}
