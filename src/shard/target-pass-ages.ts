/**
 * When each of this replica's targets was last reconciled, for
 * kspec_oldest_target_pass_age_seconds: a target that stops being reconciled (stuck, or owned by
 * nobody who works on it) shows as an age that keeps growing. A target counts from when this
 * replica started owning it, so a new owner does not inherit the old one's history.
 */
export class TargetPassAges {
  readonly #since = new Map<string, number>();

  /** The targets this replica works on now; others are forgotten. */
  own(targets: Iterable<string>, now: number): void {
    const keep = new Set(targets);
    for (const key of this.#since.keys()) if (!keep.has(key)) this.#since.delete(key);
    for (const key of keep) if (!this.#since.has(key)) this.#since.set(key, now);
  }

  /** A pass finished for these targets. */
  passed(targets: Iterable<string>, now: number): void {
    for (const key of targets) if (this.#since.has(key)) this.#since.set(key, now);
  }

  /** Seconds since the oldest pass, or undefined when this replica owns no target. */
  oldestAgeSeconds(now: number): number | undefined {
    if (this.#since.size === 0) return undefined;
    return (now - Math.min(...this.#since.values())) / 1000;
  }
}
