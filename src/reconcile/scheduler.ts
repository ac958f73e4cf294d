/**
 * Runs passes one at a time. A trigger while a pass runs (cron tick, webhook, watch event) is
 * remembered and served by exactly one more pass afterwards, so passes never overlap and no
 * trigger is lost.
 */
export class PassScheduler {
  private running: Promise<void> | undefined;
  private pending = false;
  private readonly runPass: (reasons: string[]) => Promise<void>;
  private reasons: string[] = [];

  constructor(runPass: (reasons: string[]) => Promise<void>) {
    this.runPass = runPass;
  }

  trigger(reason: string): Promise<void> {
    this.reasons.push(reason);
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
      const reasons = this.reasons;
      this.reasons = [];
      await this.runPass(reasons);
    } while (this.pending);
  }
}
