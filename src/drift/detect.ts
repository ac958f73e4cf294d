import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { DriftEvent } from '../api/types.ts';
import type { DesiredPolicy, KyvernoPolicy } from '../render/desired-policy.ts';
import { policyKey } from '../render/desired-policy.ts';
import { CHECK_LABEL, POLICY_LABEL } from '../render/ownership.ts';
import { compareDesiredToLive, shownPair } from './compare.ts';

/** The spec of each desired policy as the API server stores it, by policyKey; see src/cluster/server-form.ts. */
export type StoredSpecs = ReadonlyMap<string, Record<string, unknown>>;

/** One difference between desired and live, with what is needed to act on it. */
export type Drift =
  | { type: 'missing'; desired: DesiredPolicy; event: DriftEvent }
  | { type: 'modified'; desired: DesiredPolicy; live: KyvernoPolicy; storedSpec?: Record<string, unknown>; event: DriftEvent }
  | { type: 'extra'; live: KyvernoPolicy; event: DriftEvent };

export interface DriftResult {
  drifts: Drift[];
  inSync: DesiredPolicy[];
}

/**
 * Classifies desired × live (live being only the policies this spec owns) into missing,
 * modified and extra. A desired policy whose stored form is known is compared with it; one
 * whose stored form is not is compared with the desired spec and the normalizer table. Pure:
 * the time is passed in.
 */
export function detectDrift(desired: DesiredPolicy[], live: KyvernoPolicy[], now: string, stored: StoredSpecs = new Map()): DriftResult {
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
    const storedSpec = stored.get(key);
    const fields = compareDesiredToLive(want.object, have, storedSpec);
    if (fields.length === 0) {
      result.inSync.push(want);
      continue;
    }
    result.drifts.push({
      type: 'modified',
      desired: want,
      live: have,
      ...(storedSpec ? { storedSpec } : {}),
      event: {
        type: 'modified',
        ...base,
        message: `${key} differs from the spec in ${fields.map((f) => f.path).join(', ')}`,
        fields,
        diff: unifiedDiff(want.object, have, storedSpec),
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

/**
 * Unified diff of what kspec compares, live (---) to desired (+++), as `kubectl diff` reads;
 * defaults that the desired policy does not spell out are left out of both sides.
 */
export function unifiedDiff(desired: KyvernoPolicy, live: KyvernoPolicy, storedSpec?: Record<string, unknown>): string {
  const { desired: want, live: have } = shownPair(desired, live, storedSpec);
  const name = policyKey(desired);
  return createTwoFilesPatch(`live/${name}`, `desired/${name}`, stringify(have), stringify(want), '', '', { context: 3 });
}
