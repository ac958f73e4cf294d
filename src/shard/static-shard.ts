import { rendezvousOwner } from './rendezvous.ts';

/** `--shard N/M`: this replica is shard `index` of `count`. */
export interface StaticShard {
  index: number;
  count: number;
}

/**
 * Parses `--shard N/M`. `N` may be `ordinal`: the number at the end of the pod name, as a
 * StatefulSet names its pods (kspec-0, kspec-1, …), so every pod of one StatefulSet can share
 * the same arguments. Throws an Error saying what is wrong.
 */
export function parseShard(text: string, podName?: string): StaticShard {
  const m = /^(\d+|ordinal)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--shard takes N/M (shard N of M, N from 0) or ordinal/M, not ${JSON.stringify(text)}`);
  const count = Number(m[2]);
  let index: number;
  if (m[1] === 'ordinal') {
    const ordinal = /-(\d+)$/.exec(podName ?? '');
    if (!ordinal) throw new Error(`--shard ordinal/${count} takes N from the pod name's ordinal, but POD_NAME ${JSON.stringify(podName ?? '')} does not end in -<number>`);
    index = Number(ordinal[1]);
  } else {
    index = Number(m[1]);
  }
  if (count < 1) throw new Error(`--shard ${text}: M must be at least 1`);
  if (index >= count) throw new Error(`--shard ${text}: N must be below M (shards are numbered 0 to ${count - 1})`);
  return { index, count };
}

/**
 * The shard that owns a target: rendezvous hashing over the shard numbers, so growing M from 3
 * to 4 moves only the quarter of the targets that shard 3 wins. Pure.
 */
export function staticShardOf(target: string, count: number): number {
  return Number(rendezvousOwner(target, Array.from({ length: count }, (_, i) => String(i))));
}
