import type { ClusterSpecification, ClusterTarget, ComplianceReport, Condition, DriftReport } from '../api/types.ts';
import type { KspecStore } from '../cluster/kspec-store.ts';
import { MANAGED_BY, MANAGER, SOURCE_ANNOTATION, SOURCE_COMMIT_ANNOTATION, SOURCE_FILE_ANNOTATION } from '../render/ownership.ts';
import type { SpecPlan } from './spec-plan.ts';
import type { ActionOutcome } from './act.ts';

/**
 * Mirrors a spec into the cluster. Only a spec that loaded cleanly updates its mirror, which is
 * what keeps the mirror the last good desired state.
 */
export async function publishMirror(store: KspecStore, plan: SpecPlan): Promise<ClusterSpecification | undefined> {
  await store.ensureNamespace(plan.namespace);
  if (plan.desiredFrom !== 'git' || plan.errors.length > 0) {
    return store.get<ClusterSpecification>('ClusterSpecification', plan.namespace, plan.name);
  }
  const { metadata, spec } = plan.spec;
  return store.apply<ClusterSpecification>({
    apiVersion: 'kspec.io/v1alpha1',
    kind: 'ClusterSpecification',
    metadata: {
      name: metadata.name,
      namespace: plan.namespace,
      labels: { ...(metadata.labels ?? {}), [MANAGED_BY]: MANAGER },
      annotations: { ...(metadata.annotations ?? {}), [SOURCE_ANNOTATION]: plan.source, [SOURCE_COMMIT_ANNOTATION]: plan.sourceCommit, [SOURCE_FILE_ANNOTATION]: plan.sourceFile },
    },
    spec,
  });
}

export async function publishStatus(store: KspecStore, mirror: ClusterSpecification, phase: 'Active' | 'Failed' | 'Pending', conditions: Condition[], sourceCommit: string, now: string): Promise<void> {
  await store.applyStatus<ClusterSpecification>({
    ...mirror,
    status: {
      phase,
      observedGeneration: mirror.metadata.generation,
      conditions,
      ...(sourceCommit ? { sourceCommit } : {}),
      lastReconcileTime: now,
    },
  });
}

/** Applies a report and its status: the same object every pass, updated in place. */
export async function publishReport<T extends ComplianceReport | DriftReport>(store: KspecStore, report: T): Promise<void> {
  await store.apply(report);
  await store.applyStatus(report);
}

export async function publishEvents(store: KspecStore, mirror: ClusterSpecification, cluster: string, outcomes: ActionOutcome[]): Promise<void> {
  const involved = { kind: 'ClusterSpecification', name: mirror.metadata.name, namespace: mirror.metadata.namespace!, uid: mirror.metadata.uid };
  for (const { drift, action, error } of outcomes) {
    const what = `${drift.event.resourceKind}/${drift.event.resourceName} on cluster ${cluster}`;
    await store.recordEvent({ involved, type: 'Warning', reason: 'DriftDetected', message: `${drift.type}: ${drift.event.message}` });
    if (action === 'failed') await store.recordEvent({ involved, type: 'Warning', reason: 'ActionFailed', message: `${what}: ${error}` });
    else if (action !== 'none' && action !== 'dry-run') {
      const reason = action === 'created' ? 'PolicyCreated' : action === 'applied' ? 'PolicyReverted' : 'PolicyDeleted';
      await store.recordEvent({ involved, type: 'Normal', reason, message: `${action} ${what}` });
    }
  }
}

/** Mirrors the ClusterTargets from Git, so a pass whose fetch fails can still reach its clusters. */
export async function publishTargets(store: KspecStore, targets: ClusterTarget[]): Promise<void> {
  for (const target of targets) {
    await store.ensureNamespace(target.metadata.namespace!);
    await store.apply<ClusterTarget>({
      apiVersion: 'kspec.io/v1alpha1',
      kind: 'ClusterTarget',
      metadata: { name: target.metadata.name, namespace: target.metadata.namespace, labels: { ...(target.metadata.labels ?? {}), [MANAGED_BY]: MANAGER } },
      spec: target.spec,
    });
  }
}
