import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterTarget, Condition } from '../api/types.ts';
import type { KspecStore } from '../cluster/kspec-store.ts';
import { resolveTarget } from '../cluster/targets.ts';
import type { ResolvedTarget } from '../cluster/targets.ts';
import { probeTarget } from '../cluster/target-probe.ts';
import type { Logger } from '../log.ts';
import { setConditions } from './conditions.ts';
import type { ConditionInput } from './conditions.ts';
import type { TargetBackoff } from './target-backoff.ts';
import type { SpecPlan } from './spec-plan.ts';

/** A target cluster as this pass found it: connected, or why not. */
export interface ConnectedTarget {
  key: string;
  name: string;
  namespace: string;
  resolved?: ResolvedTarget;
  serverVersion?: string;
  versionMismatch?: string;
  error?: string;
}

export interface ConnectOptions {
  store: KspecStore;
  management: KubeConfig;
  fromGit: Map<string, ClusterTarget>;
  backoff?: TargetBackoff;
  timeoutMs: number;
  publish: boolean;
  log: Logger;
  now: () => Date;
}

/**
 * Connects every cluster the plans target, all at once and each within a timeout, so one
 * unreachable cluster neither delays nor fails the others. Records each target's status.
 */
export async function connectTargets(plans: SpecPlan[], options: ConnectOptions): Promise<Map<string, ConnectedTarget>> {
  const refs = new Map<string, { name: string; namespace: string }>();
  for (const plan of plans) {
    const name = plan.spec.spec.targetClusterRef.name;
    if (name) refs.set(`${plan.namespace}/${name}`, { name, namespace: plan.namespace });
  }
  const connected = await Promise.all([...refs].map(([key, ref]) => connectOne(key, ref, options)));
  return new Map(connected.map((target) => [target.key, target]));
}

async function connectOne(key: string, ref: { name: string; namespace: string }, options: ConnectOptions): Promise<ConnectedTarget> {
  const target: ConnectedTarget = { key, ...ref };
  const skip = options.backoff?.skipReason(key, options.now().getTime());
  if (skip) {
    target.error = `cluster ${ref.name} is unreachable: ${skip}`;
    return target;
  }
  try {
    const resolved = await resolveTarget(ref, options.fromGit, options.store, options.management);
    const probe = await probeTarget(resolved.kc, resolved.target?.spec.version, options.timeoutMs);
    Object.assign(target, { resolved, serverVersion: probe.serverVersion }, probe.versionMismatch ? { versionMismatch: probe.versionMismatch } : {});
    options.backoff?.succeeded(key);
  } catch (err) {
    target.error = `cluster ${ref.name}: ${(err as Error).message}`;
    options.backoff?.failed(key, (err as Error).message, options.now().getTime());
    options.log.warn('target unreachable', { cluster: ref.name, error: target.error });
  }
  if (options.publish) await publishTargetStatus(target, options).catch((err) => options.log.warn('cannot record target status', { cluster: ref.name, error: (err as Error).message }));
  return target;
}

async function publishTargetStatus(target: ConnectedTarget, options: ConnectOptions): Promise<void> {
  const current = await options.store.get<ClusterTarget>('ClusterTarget', target.namespace, target.name);
  if (!current) return;
  const ready: ConditionInput = target.error
    ? { type: 'Ready', status: 'False', reason: 'Unreachable', message: target.error }
    : { type: 'Ready', status: 'True', reason: 'Connected', message: `reached the API server, Kubernetes ${target.serverVersion}` };
  const version: ConditionInput = target.versionMismatch
    ? { type: 'VersionMatched', status: 'False', reason: 'VersionMismatch', message: target.versionMismatch }
    : { type: 'VersionMatched', status: target.error ? 'Unknown' : 'True', reason: target.error ? 'Unreachable' : 'VersionMatches', message: target.error ? 'the cluster could not be reached' : `the cluster runs ${target.serverVersion}` };
  const conditions: Condition[] = setConditions(current.status?.conditions, [ready, version], options.now().toISOString());
  await options.store.applyStatus<ClusterTarget>({ ...current, status: { conditions, ...(target.serverVersion ? { serverVersion: target.serverVersion } : current.status?.serverVersion ? { serverVersion: current.status.serverVersion } : {}) } });
}
