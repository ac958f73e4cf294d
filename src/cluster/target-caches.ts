// The watched lists of every target cluster, kept by `kspec run` from one pass to the next (see
// watched-list.ts): one per resource type a pass read. A type no pass read since the previous
// sweep, and a target no pass reached, stop being watched, so that what is held stays what the
// specs need.
import type { KubeConfig } from './kube-config.ts';
import type { ResourceType } from './discovery.ts';
import { WatchedList } from './watched-list.ts';
import type { Logger } from '../log.ts';

/** The watched list of a resource type in one target cluster. */
export type WatchedLists = (type: ResourceType) => WatchedList;

interface Slot {
  list: WatchedList;
  used: boolean;
}

export class TargetCaches {
  private readonly targets = new Map<string, { server: string; lists: Map<string, Slot> }>();
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  /** The watched lists of the target `key`, reached through `kc` in this pass. */
  of(key: string, kc: KubeConfig): WatchedLists {
    const server = kc.getCurrentCluster()?.server ?? '';
    let target = this.targets.get(key);
    if (target && target.server !== server) {
      this.stopTarget(key);
      target = undefined;
    }
    if (!target) {
      target = { server, lists: new Map() };
      this.targets.set(key, target);
    }
    const { lists } = target;
    return (type) => {
      const typeKey = `${type.apiVersion}/${type.kind}`;
      let slot = lists.get(typeKey);
      if (!slot) {
        slot = { list: new WatchedList({ kc, type, log: this.log.child({ cluster: key }) }), used: true };
        lists.set(typeKey, slot);
      }
      slot.used = true;
      slot.list.connectWith(kc);
      return slot.list;
    };
  }

  /** After a pass: stops watching what it did not read. */
  sweep(): void {
    for (const [key, target] of this.targets) {
      for (const [typeKey, slot] of target.lists) {
        if (slot.used) slot.used = false;
        else {
          slot.list.stop();
          target.lists.delete(typeKey);
        }
      }
      if (target.lists.size === 0) this.stopTarget(key);
    }
  }

  /** Objects held, over every target and type (for the logs). */
  size(): number {
    let n = 0;
    for (const target of this.targets.values()) for (const slot of target.lists.values()) n += slot.list.size;
    return n;
  }

  stop(): void {
    for (const key of [...this.targets.keys()]) this.stopTarget(key);
  }

  private stopTarget(key: string): void {
    for (const slot of this.targets.get(key)?.lists.values() ?? []) slot.list.stop();
    this.targets.delete(key);
  }
}
