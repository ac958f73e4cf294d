// What one replica should do with the fleet's target Leases this round, from what it has
// observed of the group's Leases. Pure: all times are this replica's own clock (when it saw each
// Lease change), never the renewTime another replica wrote, so no clock-skew assumption.
import { rendezvousOwner } from './rendezvous.ts';
import { staticShardOf, type StaticShard } from './static-shard.ts';

export interface ObservedMember {
  /** The member's stable name (its Lease's suffix: POD_NAME or the host name). */
  member: string;
  /** holderIdentity of its Lease: '' when released. */
  holder: string;
  /** When this replica last saw the Lease change (its own clock). */
  changedAt: number;
}

export interface ObservedTarget {
  key: string;
  /** holderIdentity of the target's Lease: '' when released or absent. */
  holder: string;
  /** When this replica last saw the target's Lease change, or first saw it. */
  changedAt: number;
}

export interface OwnershipInput {
  self: { member: string; identity: string };
  /** False while this replica's own heartbeat is not current: it then claims nothing. */
  healthy: boolean;
  /** auto: rendezvous over the live members; otherwise a fixed shard. */
  mode: 'auto' | StaticShard;
  members: ObservedMember[];
  /** The targets this replica knows of (from its last pass), with their Leases where they exist. */
  targets: ObservedTarget[];
  leaseDurationMs: number;
  now: number;
}

export interface OwnershipPlan {
  /** Members heard from within the lease duration, sorted; this replica included when healthy. */
  live: string[];
  /** Targets this replica should own. */
  wanted: string[];
  /** Wanted targets whose Lease is free (absent, released, or its holder silent for a lease duration). */
  acquire: string[];
  /** Targets this replica holds but should not: hand them over. */
  release: string[];
}

export function planOwnership(input: OwnershipInput): OwnershipPlan {
  const { self, now, leaseDurationMs } = input;
  const fresh = (changedAt: number) => now - changedAt <= leaseDurationMs;
  const liveMembers = input.members.filter((m) => m.holder !== '' && fresh(m.changedAt) && m.member !== self.member);
  const live = [...new Set([...liveMembers.map((m) => m.member), ...(input.healthy ? [self.member] : [])])].sort();
  const liveHolders = new Set([...liveMembers.map((m) => m.holder), ...(input.healthy ? [self.identity] : [])]);

  const owns = (key: string) =>
    input.healthy && (input.mode === 'auto' ? rendezvousOwner(key, live) === self.member : staticShardOf(key, input.mode.count) === input.mode.index);

  const wanted: string[] = [];
  const acquire: string[] = [];
  const release: string[] = [];
  for (const target of input.targets) {
    const mine = target.holder === self.identity;
    if (owns(target.key)) {
      wanted.push(target.key);
      // A holder is gone when its heartbeat is silent and the target's Lease has not changed for
      // a whole lease duration as seen here: only then can its fence have closed.
      const free = target.holder === '' || (!liveHolders.has(target.holder) && !fresh(target.changedAt));
      if (!mine && free) acquire.push(target.key);
    } else if (mine) {
      release.push(target.key);
    }
  }
  return { live, wanted, acquire, release };
}
