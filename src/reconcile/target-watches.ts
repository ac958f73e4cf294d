import { PolicyWatch } from '../cluster/policy-watch.ts';
import { OWNED_BY_KSPEC_SELECTOR, SPEC_LABEL } from '../render/ownership.ts';
import type { Logger } from '../log.ts';
import type { PassResult } from './pass.ts';

/**
 * One watch per reachable target cluster on the policies of this repository's specs only, so an
 * out-of-band edit triggers a pass at once and other kspec installations' policies do not. Kept
 * in step with each pass: new targets are watched, gone ones dropped, changed spec sets re-watched.
 */
export class TargetWatches {
  private readonly watches = new Map<string, { watch: PolicyWatch; selector: string }>();
  private readonly trigger: (reason: string) => void;
  private readonly log: Logger;

  constructor(trigger: (reason: string) => void, log: Logger) {
    this.trigger = trigger;
    this.log = log;
  }

  sync(result: PassResult): void {
    for (const key of [...this.watches.keys()]) {
      if (!result.targets.has(key)) this.drop(key);
    }
    for (const [key, target] of result.targets) {
      const specs = [...new Set(result.specs.filter((s) => s.target?.key === key).map((s) => s.plan.name))].sort();
      const selector = `${OWNED_BY_KSPEC_SELECTOR},${SPEC_LABEL} in (${specs.join(',')})`;
      if (this.watches.get(key)?.selector === selector) continue;
      this.drop(key);
      if (!target.resolved || specs.length === 0) continue;
      const watch = new PolicyWatch({
        kc: target.resolved.kc,
        labelSelector: selector,
        onChange: (c) => this.trigger(`watch ${c.type.toLowerCase()} ${c.kind}/${c.namespace ? `${c.namespace}/` : ''}${c.name} on ${target.name}`),
        onResync: (why) => this.trigger(`watch resync on ${target.name}: ${why}`),
        log: this.log.child({ cluster: target.name }),
      });
      watch.start();
      this.watches.set(key, { watch, selector });
    }
  }

  stop(): void {
    for (const key of [...this.watches.keys()]) this.drop(key);
  }

  private drop(key: string): void {
    this.watches.get(key)?.watch.stop();
    this.watches.delete(key);
  }
}
