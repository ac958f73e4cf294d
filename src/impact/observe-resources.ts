// The live resources a set of policies match on one target, read through the target's
// observation of the pass (TargetObservation): each kind is listed once, shared with whatever
// else in the pass reads it, and only the kinds the policies name are listed.
import type { ComplianceReads, KubeItem } from '../compliance/compliance-reads.ts';
import { compilePolicy } from '../engine/index.ts';
import type { CompiledPolicy } from '../engine/index.ts';
import { KYVERNO_DEFAULT_FILTERS, readsNamespaceLabels, resourceTypesFor } from '../compliance/engine-source.ts';
import type { ResourceFilters } from '../compliance/engine-source.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import type { ObservedResources } from './policy-impact.ts';

export async function observeResources(observation: ComplianceReads, policies: KyvernoPolicy[], options: { signal?: AbortSignal; filters?: ResourceFilters } = {}): Promise<ObservedResources> {
  const problems = new Map<string, string[]>();
  const problem = (policy: string, message: string) => problems.set(policy, [...(problems.get(policy) ?? []), message]);
  const compiled: { compiled: CompiledPolicy; value: string }[] = [];
  for (const policy of policies) {
    try {
      compiled.push({ compiled: compilePolicy(policy), value: policy.metadata.name });
    } catch {
      // policyImpact says why it cannot be evaluated.
    }
  }
  const { byType, notes } = await resourceTypesFor((spelling) => observation.resolveKind(spelling), compiled, options.filters ?? KYVERNO_DEFAULT_FILTERS);
  for (const { policy, note } of notes) problem(policy, note);

  const items: KubeItem[] = [];
  for (const { type, entries } of byType.values()) {
    try {
      for await (const page of observation.pages(type, { trim: true, ...(options.signal ? { signal: options.signal } : {}) })) items.push(...page);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      for (const name of entries) problem(name, `${type.apiVersion} ${type.kind} could not be listed: ${(err as Error).message}`);
    }
  }
  const namespaceLabels = policies.some(readsNamespaceLabels) ? await observation.namespaceLabels(options.signal ? { signal: options.signal } : {}) : new Map<string, Record<string, string>>();
  return { items, namespaceLabels, problems };
}
