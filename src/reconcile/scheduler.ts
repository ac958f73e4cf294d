/**
 * Runs passes one at a time. A trigger while a pass runs (cron tick, webhook, watch event) is
 * remembered and served by exactly one more pass afterwards, so passes never overlap and no
 * trigger is lost. However many triggers arrive meanwhile (a webhook flood), at most one pass is
 * queued and it keeps at most MAX_REASONS distinct reasons, so memory stays bounded too.
 */
export class PassScheduler {
  static readonly MAX_REASONS = 20;
  private running: Promise<void> | undefined;
  private pending = false;
  private readonly runPass: (reasons: string[]) => Promise<void>;
  private reasons = new Set<string>();
  private dropped = 0;

  constructor(runPass: (reasons: string[]) => Promise<void>) {
    this.runPass = runPass;
  }

  trigger(reason: string): Promise<void> {
    if (this.reasons.size < PassScheduler.MAX_REASONS || this.reasons.has(reason)) this.reasons.add(reason);
    else this.dropped++;
    if (this.running) {
      this.pending = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when no pass is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.pending = false;
      const reasons = [...this.reasons, ...(this.dropped ? [`${this.dropped} more triggers`] : [])];
      this.reasons = new Set();
      this.dropped = 0;
      await this.runPass(reasons);
    } while (this.pending);
  }
}
