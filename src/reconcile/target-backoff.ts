/**
 * Remembers unreachable targets across passes so that one slow or dead cluster is retried with
 * exponential backoff instead of costing every pass its timeout; the others go on as usual.
 */
export class TargetBackoff {
  private readonly failures = new Map<string, { count: number; retryAt: number; reason: string }>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(options: { baseMs?: number; maxMs?: number } = {}) {
    this.baseMs = options.baseMs ?? 10_000;
    this.maxMs = options.maxMs ?? 300_000;
  }

  /** Why the target is being skipped now, or undefined when it may be tried. */
  skipReason(target: string, now: number): string | undefined {
    const entry = this.failures.get(target);
    if (!entry || now >= entry.retryAt) return undefined;
    return `backing off after ${entry.count} failed attempts (${entry.reason}); next try at ${new Date(entry.retryAt).toISOString()}`;
  }

  failed(target: string, reason: string, now: number): void {
    const count = (this.failures.get(target)?.count ?? 0) + 1;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (count - 1));
    this.failures.set(target, { count, retryAt: now + delay, reason });
  }

  succeeded(target: string): void {
    this.failures.delete(target);
  }
}
