import type { KspecMetrics } from '../server/metrics.ts';

/**
 * Drops the per-cluster gauges of clusters this replica no longer reconciles. Their new owner
 * exports them now; a stale copy here would win the alerts' `max` over replicas (an old 100%
 * compliance score would hide the new owner's 40%). Counters stay: they only ever grow, and
 * `increase()` over a stale counter is 0.
 */
export async function forgetMovedTargets(metrics: KspecMetrics, reconciled: Set<string>): Promise<void> {
  for (const gauge of [metrics.complianceScore, metrics.policies]) {
    for (const { labels } of (await gauge.get()).values) {
      if (typeof labels.cluster === 'string' && !reconciled.has(labels.cluster)) gauge.remove(labels as Record<string, string>);
    }
  }
}
