// coordination.k8s.io/v1 Leases in one namespace: what leader election (leader-election.ts),
// the shard group (shard/shard-leases.ts) and `kspec uninstall` read and write. Lease calls skip
// the request limiter: a renewal that waited behind a busy pass's writes would lose leadership.
import { kubeJson, query, type KubeRequestOptions } from './http-get.ts';
import type { KubeConfig } from './kube-config.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with microseconds (leaseTime()). */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: LeaseSpec;
}

/** A time as a Lease holds it (metav1.MicroTime: six fractional digits). */
export function leaseTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export class LeaseClient {
  readonly #kc: KubeConfig;
  readonly namespace: string;

  constructor(kc: KubeConfig, namespace: string) {
    this.#kc = kc;
    this.namespace = namespace;
  }

  /** Outside the request limiter, with the caller's deadline when it gave one. */
  #options(timeoutMs: number | undefined): KubeRequestOptions {
    return { limited: false, ...(timeoutMs ? { timeoutMs } : {}) };
  }

  #path(name?: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /** The Lease; a ClusterError with code 404 when there is none. */
  read(name: string, timeoutMs?: number): Promise<Lease> {
    return kubeJson<Lease>(this.#kc, this.#path(name), this.#options(timeoutMs));
  }

  async list(labelSelector?: string, timeoutMs?: number): Promise<Lease[]> {
    const list = await kubeJson<{ items?: Lease[] }>(this.#kc, `${this.#path()}${query({ labelSelector })}`, this.#options(timeoutMs));
    return list.items ?? [];
  }

  create(lease: Lease, timeoutMs?: number): Promise<Lease> {
    return kubeJson<Lease>(this.#kc, this.#path(), { ...this.#options(timeoutMs), method: 'POST', body: withKind(lease) });
  }

  /** Replaces the Lease; optimistic when `lease.metadata.resourceVersion` is set (409 when it moved on). */
  replace(name: string, lease: Lease, timeoutMs?: number): Promise<Lease> {
    return kubeJson<Lease>(this.#kc, this.#path(name), { ...this.#options(timeoutMs), method: 'PUT', body: withKind(lease) });
  }

  /** Deletes the Lease only if it is still at `resourceVersion` (409 otherwise). */
  async delete(name: string, resourceVersion: string, timeoutMs?: number): Promise<void> {
    await kubeJson(this.#kc, this.#path(name), { ...this.#options(timeoutMs), method: 'DELETE', body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } } });
  }
}

function withKind(lease: Lease): Lease {
  return { ...lease, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };
}
