// The Leases of one shard group in kspec's namespace, all carrying the label
// kspec.io/shard-group=<group> so that one LIST per round reads them all:
//
//   <group>-member-<pod>     a replica's heartbeat (holderIdentity: the process's identity)
//   <group>-target-<hash>    who owns a ClusterTarget (annotation kspec.io/target: namespace/name)
//   <group>-push             the trigger object: a push webhook that reached any replica bumps
//                            its annotation kspec.io/push, and every replica runs a pass
import { createHash } from 'node:crypto';
import type { KubeConfig } from '../cluster/kube-config.ts';
import { LeaseClient, leaseTime, type Lease } from '../cluster/lease-client.ts';
import { withTimeout } from '../util/with-timeout.ts';
import { toIso } from '../cluster/leader-election.ts';

export const GROUP_LABEL = 'kspec.io/shard-group';
export const ROLE_LABEL = 'kspec.io/shard-role';
export const TARGET_ANNOTATION = 'kspec.io/target';
export const PUSH_ANNOTATION = 'kspec.io/push';

export type LeaseRole = 'member' | 'target' | 'push';

export interface GroupLease {
  name: string;
  role: LeaseRole;
  holder: string;
  /** Compared for change only, never as a time: another replica's clock is not trusted. */
  fingerprint: string;
  /** The target's namespace/name (target Leases). */
  target?: string;
  /** The member's name (member Leases). */
  member?: string;
  push?: string;
  raw: Lease;
}

/** DNS-safe, at most 63 characters, readable where it fits, unique through a hash where not. */
export function leaseName(group: string, role: LeaseRole, id = ''): string {
  if (role === 'push') return `${group}-push`;
  const readable = id.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  const full = `${group}-${role}-${readable}`;
  // Member names are pod names (already DNS labels); target keys contain a '/', so they always
  // carry the hash: two keys that read the same after sanitising still get two Leases.
  if (role === 'member' && readable === id && full.length <= 63) return full;
  return `${`${group}-${role}-${readable}`.slice(0, 54).replace(/-+$/, '')}-${hash}`;
}

export class ShardLeases {
  readonly #leases: LeaseClient;
  readonly namespace: string;
  readonly group: string;
  readonly #timeoutMs: number;

  constructor(kc: KubeConfig, namespace: string, group: string, timeoutMs: number) {
    this.#leases = new LeaseClient(kc, namespace);
    this.namespace = namespace;
    this.group = group;
    this.#timeoutMs = timeoutMs;
  }

  async list(): Promise<GroupLease[]> {
    const items = await withTimeout(this.#leases.list(`${GROUP_LABEL}=${this.group}`, this.#timeoutMs), this.#timeoutMs, 'listing shard leases');
    return items.flatMap((lease) => {
      const role = lease.metadata?.labels?.[ROLE_LABEL] as LeaseRole | undefined;
      if (role !== 'member' && role !== 'target' && role !== 'push') return [];
      const spec = lease.spec ?? {};
      const annotations = lease.metadata?.annotations ?? {};
      return [{
        name: lease.metadata!.name!,
        role,
        holder: spec.holderIdentity ?? '',
        fingerprint: `${spec.holderIdentity ?? ''}|${toIso(spec.renewTime)}|${spec.leaseTransitions ?? 0}|${annotations[PUSH_ANNOTATION] ?? ''}`,
        ...(annotations[TARGET_ANNOTATION] ? { target: annotations[TARGET_ANNOTATION] } : {}),
        ...(annotations['kspec.io/member'] ? { member: annotations['kspec.io/member'] } : {}),
        ...(annotations[PUSH_ANNOTATION] ? { push: annotations[PUSH_ANNOTATION] } : {}),
        raw: lease,
      }];
    });
  }

  /**
   * Creates the Lease, or replaces the one read as `current` (optimistic: its resourceVersion
   * must still be the live one, so of two replicas racing for a Lease only one wins; the other
   * gets 409 Conflict). `holder` '' releases it.
   */
  async write(role: LeaseRole, id: string, holder: string, leaseDurationMs: number, current?: Lease, annotations: Record<string, string> = {}): Promise<Lease> {
    const name = leaseName(this.group, role, id);
    const now = leaseTime(Date.now());
    const previous = current?.spec ?? {};
    const sameHolder = (previous.holderIdentity ?? '') === holder;
    const body: Lease = {
      metadata: {
        ...(current?.metadata ?? {}),
        name,
        namespace: this.namespace,
        labels: { ...(current?.metadata?.labels ?? {}), 'app.kubernetes.io/name': 'kspec', [GROUP_LABEL]: this.group, [ROLE_LABEL]: role },
        annotations: { ...(current?.metadata?.annotations ?? {}), ...(role === 'target' ? { [TARGET_ANNOTATION]: id } : role === 'member' ? { 'kspec.io/member': id } : {}), ...annotations },
      },
      spec: {
        ...(holder ? { holderIdentity: holder } : {}),
        leaseDurationSeconds: holder ? Math.max(1, Math.ceil(leaseDurationMs / 1000)) : 1,
        acquireTime: sameHolder && previous.acquireTime ? leaseTime(new Date(toIso(previous.acquireTime)).getTime()) : now,
        renewTime: now,
        leaseTransitions: (previous.leaseTransitions ?? 0) + (sameHolder || !holder ? 0 : 1),
      },
    };
    if (!current) return withTimeout(this.#leases.create(body, this.#timeoutMs), this.#timeoutMs, `creating lease ${name}`);
    return withTimeout(this.#leases.replace(name, body, this.#timeoutMs), this.#timeoutMs, `updating lease ${name}`);
  }

  /** Deletes a Lease only if it is still the version read (a stale member's, or this replica's own). */
  async delete(lease: Lease): Promise<void> {
    await withTimeout(
      this.#leases.delete(lease.metadata!.name!, lease.metadata!.resourceVersion!, this.#timeoutMs),
      this.#timeoutMs,
      `deleting lease ${lease.metadata!.name}`,
    );
  }
}
