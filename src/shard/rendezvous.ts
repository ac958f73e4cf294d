import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest random weight) hashing: a target belongs to the member whose hash of
 * (member, target) is highest. Every replica computes the same owner from the same member list,
 * with no coordination, and when a member joins or leaves only the targets it wins or held move:
 * everyone else's stay where they are. Pure.
 */
export function rendezvousOwner(target: string, members: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const member of members) {
    const weight = weightOf(member, target);
    // Ties (a 64-bit collision) go to the smaller name, so every replica picks the same member.
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}

/** The targets each member owns; every member appears, with [] when it owns none. Pure. */
export function rendezvousAssignment(targets: Iterable<string>, members: readonly string[]): Map<string, string[]> {
  const byMember = new Map<string, string[]>(members.map((m) => [m, []]));
  for (const target of targets) {
    const owner = rendezvousOwner(target, members);
    if (owner !== undefined) byMember.get(owner)!.push(target);
  }
  return byMember;
}

function weightOf(member: string, target: string): bigint {
  return createHash('sha256').update(member).update('\0').update(target).digest().readBigUInt64BE(0);
}
