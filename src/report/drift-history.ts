import type { DriftEvent, DriftReport } from '../api/types.ts';

/** What a drift event is about: the same key in two passes is the same drift. */
export const driftKey = (e: DriftEvent) => `${e.type}/${e.resourceKind ?? ''}/${e.resourceNamespace ?? ''}/${e.resourceName}`;

const FIXED = new Set(['created', 'applied', 'deleted']);

/**
 * The drift still standing after the previous pass, by key: everything in the previous report
 * except what kspec fixed in that pass. Drift that was fixed and comes back is new again.
 */
export function standingDrift(previous: DriftReport | undefined): Map<string, DriftEvent> {
  const standing = (previous?.status?.driftEvents ?? []).filter((e) => !FIXED.has(e.action ?? 'none'));
  return new Map(standing.map((e) => [driftKey(e), e]));
}

/**
 * The events with `detectedAt` carried over from the previous report wherever the same drift
 * still stands, so it says when that drift was first seen rather than when this pass ran. Pure.
 */
export function withFirstSeen(events: DriftEvent[], previous: DriftReport | undefined): DriftEvent[] {
  const standing = standingDrift(previous);
  return events.map((event) => {
    const before = standing.get(driftKey(event));
    return before?.detectedAt ? { ...event, detectedAt: before.detectedAt } : event;
  });
}
