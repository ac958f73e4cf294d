import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { DriftEvent } from '../api/types.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../render/desired-policy.ts';
import { policyKey } from '../render/desired-policy.ts';
import { CHECK_LABEL, POLICY_LABEL } from '../render/ownership.ts';
import { compareDesiredToLive, comparedPart, projectLive } from './compare.ts';

/** One difference between desired and live, with what is needed to act on it. */
export type Drift =
  | { type: 'missing'; desired: DesiredPolicy; event: DriftEvent }
  | { type: 'modified'; desired: DesiredPolicy; live: KyvernoPolicy; event: DriftEvent }
  | { type: 'extra'; live: KyvernoPolicy; event: DriftEvent };

export interface DriftResult {
  drifts: Drift[];
  inSync: DesiredPolicy[];
}

/**
 * Classifies desired × live (live being only the policies this spec owns) into missing,
 * modified and extra. Pure: the time is passed in.
 */
export function detectDrift(desired: DesiredPolicy[], live: KyvernoPolicy[], now: string): DriftResult {
  const liveByKey = new Map(live.map((policy) => [policyKey(policy), policy]));
  const result: DriftResult = { drifts: [], inSync: [] };
  for (const want of desired) {
    const key = policyKey(want.object);
    const have = liveByKey.get(key);
    liveByKey.delete(key);
    const base = {
      policyID: want.policyId,
      checkID: want.checkId,
      resourceName: want.object.metadata.name,
      resourceKind: want.object.kind,
      ...(want.object.metadata.namespace ? { resourceNamespace: want.object.metadata.namespace } : {}),
      detectedAt: now,
    };
    if (!have) {
      result.drifts.push({ type: 'missing', desired: want, event: { type: 'missing', ...base, message: `${key} is not in the cluster` } });
      continue;
    }
    const fields = compareDesiredToLive(want.object, have);
    if (fields.length === 0) {
      result.inSync.push(want);
      continue;
    }
    result.drifts.push({
      type: 'modified',
      desired: want,
      live: have,
      event: {
        type: 'modified',
        ...base,
        message: `${key} differs from the spec in ${fields.map((f) => f.path).join(', ')}`,
        fields,
        diff: unifiedDiff(want.object, have),
      },
    });
  }
  for (const [key, extra] of [...liveByKey].sort(([a], [b]) => a.localeCompare(b))) {
    const labels = extra.metadata.labels ?? {};
    result.drifts.push({
      type: 'extra',
      live: extra,
      event: {
        type: 'extra',
        policyID: labels[POLICY_LABEL] ?? '',
        ...(labels[CHECK_LABEL] ? { checkID: labels[CHECK_LABEL] } : {}),
        resourceName: extra.metadata.name,
        resourceKind: extra.kind,
        ...(extra.metadata.namespace ? { resourceNamespace: extra.metadata.namespace } : {}),
        message: `${key} carries this spec's ownership labels but the spec does not define it`,
        detectedAt: now,
      },
    });
  }
  return result;
}

/** Unified diff of what kspec compares, live (---) to desired (+++), as `kubectl diff` reads. */
export function unifiedDiff(desired: KyvernoPolicy, live: KyvernoPolicy): string {
  const want = comparedPart(desired);
  const have = projectLive(want, live);
  const name = policyKey(desired);
  return createTwoFilesPatch(`live/${name}`, `desired/${name}`, stringify(have), stringify(want), '', '', { context: 3 });
}
