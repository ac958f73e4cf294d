import type { KubeConfig } from './kube-config.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import { TargetObservation } from './target-observation.ts';
import type { WatchedLists } from './target-caches.ts';
import type { ObservedTarget, TargetPort } from './target-port.ts';

/**
 * A target cluster reached through its API server, for one pass: the observation reads through
 * the watched lists `kspec run` keeps (when given) and lists the rest once; the writes are
 * PolicyClient's, through the cluster's client-side limits.
 */
export class ApiServerTarget implements TargetPort {
  readonly id: string;
  private readonly observation: TargetObservation;

  /** `key` (namespace/name of the ClusterTarget) names it when the kubeconfig has no server. */
  constructor(key: string, kc: KubeConfig, watched?: WatchedLists) {
    this.id = kc.getCurrentCluster()?.server ?? key;
    this.observation = new TargetObservation(kc, watched);
  }

  observe(): ObservedTarget {
    return this.observation;
  }

  create(policy: KyvernoPolicy, dryRun: boolean): Promise<KyvernoPolicy> {
    return this.observation.policies.create(policy, dryRun);
  }

  revert(desired: KyvernoPolicy, live: KyvernoPolicy, dryRun: boolean): Promise<KyvernoPolicy> {
    return this.observation.policies.revert(desired, live, dryRun);
  }

  delete(policy: KyvernoPolicy, dryRun: boolean): Promise<void> {
    return this.observation.policies.delete(policy, dryRun);
  }

  storedForm(policy: KyvernoPolicy): Promise<KyvernoPolicy> {
    return this.observation.policies.storedForm(policy);
  }
}
