/** What a reconcile pass needs of ownership: which targets are its own, and the fence. */
export interface TargetOwnership {
  /** Tells the owner which targets exist now; resolves to those this replica may work on. */
  claim(targets: string[]): Promise<Set<string>>;
  /**
   * Runs one write stage on a target if this replica still owns it, and throws FencedOff
   * without running it otherwise. A target is not handed over while a stage runs.
   */
  write<T>(target: string, stage: string, fn: () => Promise<T>): Promise<T>;
}

/** A write stage refused because this replica no longer owns the target. */
export class FencedOff extends Error {
  constructor(target: string, stage: string) {
    super(`not writing (${stage}): this replica does not hold the Lease of target ${target}`);
  }
}

/** Unsharded, or static shards without Leases: the targets of one shard, and no fence. */
export function fixedOwnership(owns: (target: string) => boolean): TargetOwnership {
  return {
    claim: async (targets) => new Set(targets.filter(owns)),
    write: (_target, _stage, fn) => fn(),
  };
}
