import type { KubeConfig } from '../cluster/kube-config.ts';
import type { ClusterTarget, Condition } from '../api/types.ts';
import { resolveTarget } from '../cluster/targets.ts';
import type { ResolvedTarget } from '../cluster/targets.ts';
import { probeTarget } from '../cluster/target-probe.ts';
import { ApiServerTarget } from '../cluster/api-server-target.ts';
import type { TargetPort } from '../cluster/target-port.ts';
import type { TargetCaches } from '../cluster/target-caches.ts';
import type { Logger } from '../log.ts';
import { setConditions } from './conditions.ts';
import type { ConditionInput } from './conditions.ts';
import type { TargetBackoff } from './target-backoff.ts';
import type { SpecPlan } from './spec-plan.ts';
import { targetKeyOf } from './spec-plan.ts';
import type { Fence } from './pass.ts';
import type { ManagementSnapshot } from './management-snapshot.ts';
import type { KspecStore } from '../cluster/kspec-store.ts';
import { sameJson } from '../util/same-json.ts';
import { oneAtATime } from '../util/one-at-a-time.ts';
import type { Turns } from '../util/one-at-a-time.ts';

/** A target cluster as this pass found it: connected, or why not. */
export interface ConnectedTarget {
  key: string;
  name: string;
  namespace: string;
  resolved?: ResolvedTarget;
  /** How this pass observes the cluster (once for every spec aimed at it) and writes to it. */
  port?: TargetPort;
  /**
   * The specs on this target assess one at a time: each compiles and evaluates its own policies
   * over the shared lists, so ten specs at once held ten times the compiled policies and their
   * garbage. Other targets assess at the same time.
   */
  assessInTurn: Turns;
  serverVersion?: string;
  versionMismatch?: string;
  error?: string;
}

export interface ConnectOptions {
  /** The management cluster: ClusterTargets applied there, kubeconfig Secrets, target status. */
  store: KspecStore;
  /** kspec's own objects as the pass found them. */
  kspecObjects: ManagementSnapshot;
  management: KubeConfig;
  fromGit: Map<string, ClusterTarget>;
  backoff?: TargetBackoff;
  /** Watched lists kept across passes (`kspec run`): the observation reads through them. */
  caches?: TargetCaches;
  timeoutMs: number;
  publish: boolean;
  /** Runs a write stage on a target (through the ownership fence when sharded). */
  write: Fence;
  log: Logger;
  now: () => Date;
}

/**
 * Starts connecting every cluster the plans target, all at once and each within a timeout. Each
 * spec waits only for its own target, so one slow or unreachable cluster neither delays nor
 * fails the others. Records each target's status.
 */
export function connectTargets(plans: SpecPlan[], options: ConnectOptions): Map<string, Promise<ConnectedTarget>> {
  const connecting = new Map<string, Promise<ConnectedTarget>>();
  for (const plan of plans) {
    const name = plan.spec.spec.targetClusterRef.name;
    const key = targetKeyOf(plan);
    if (name && !connecting.has(key)) connecting.set(key, connectOne(key, { name, namespace: plan.namespace }, options));
  }
  return connecting;
}

async function connectOne(key: string, ref: { name: string; namespace: string }, options: ConnectOptions): Promise<ConnectedTarget> {
  const target: ConnectedTarget = { key, ...ref, assessInTurn: oneAtATime() };
  const skip = options.backoff?.skipReason(key, options.now().getTime());
  if (skip) {
    target.error = `cluster ${ref.name} is unreachable: ${skip}`;
    return target;
  }
  try {
    const resolved = await resolveTarget(ref, options.fromGit, options.store, options.management);
    const probe = await probeTarget(resolved.kc, resolved.target?.spec.version, options.timeoutMs);
    Object.assign(target, { resolved, port: new ApiServerTarget(key, resolved.kc, options.caches?.of(key, resolved.kc)), serverVersion: probe.serverVersion }, probe.versionMismatch ? { versionMismatch: probe.versionMismatch } : {});
    options.backoff?.succeeded(key);
  } catch (err) {
    target.error = `cluster ${ref.name}: ${(err as Error).message}`;
    options.backoff?.failed(key, (err as Error).message, options.now().getTime());
    options.log.warn('target unreachable', { cluster: ref.name, error: target.error });
  }
  if (options.publish) await options.write(key, 'target status', () => publishTargetStatus(target, options)).catch((err) => options.log.warn('cannot record target status', { cluster: ref.name, error: (err as Error).message }));
  return target;
}

async function publishTargetStatus(target: ConnectedTarget, options: ConnectOptions): Promise<void> {
  const current = await options.kspecObjects.get<ClusterTarget>('ClusterTarget', target.namespace, target.name);
  if (!current) return;
  const ready: ConditionInput = target.error
    ? { type: 'Ready', status: 'False', reason: 'Unreachable', message: target.error }
    : { type: 'Ready', status: 'True', reason: 'Connected', message: `reached the API server, Kubernetes ${target.serverVersion}` };
  const version: ConditionInput = target.versionMismatch
    ? { type: 'VersionMatched', status: 'False', reason: 'VersionMismatch', message: target.versionMismatch }
    : { type: 'VersionMatched', status: target.error ? 'Unknown' : 'True', reason: target.error ? 'Unreachable' : 'VersionMatches', message: target.error ? 'the cluster could not be reached' : `the cluster runs ${target.serverVersion}` };
  const conditions: Condition[] = setConditions(current.status?.conditions, [ready, version], options.now().toISOString());
  const serverVersion = target.serverVersion ?? current.status?.serverVersion;
  const status = { conditions, ...(serverVersion ? { serverVersion } : {}) };
  // Written only when it changed: a target that stays reachable costs no write per pass.
  if (sameJson(current.status, status)) return;
  await options.store.applyStatus<ClusterTarget>({ ...current, status });
}
