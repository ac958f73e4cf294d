import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specEvents } from '../../src/reconcile/spec-events.ts';
import type { ActionOutcome } from '../../src/reconcile/act.ts';
import type { Drift } from '../../src/drift/detect.ts';

function outcome(type: Drift['type'], name: string, action: ActionOutcome['action'], error?: string): ActionOutcome {
  const event = { type, policyID: 'p', resourceName: name, resourceKind: 'ClusterPolicy', message: `ClusterPolicy/${name} is ${type}`, detectedAt: '2026-01-01T00:00:00Z' };
  return { drift: { type, event } as unknown as Drift, action, ...(error ? { error } : {}) };
}

test('a thousand policies created make one Event that counts them and names the first few', () => {
  const created = Array.from({ length: 1000 }, (_, i) => outcome('missing', `p-${i}`, 'created'));
  const events = specEvents(created, new Set(created), 'prod');
  assert.deepEqual(events, [
    { type: 'Warning', reason: 'DriftDetected', message: '1000 new drifts on cluster prod: missing ClusterPolicy/p-0, missing ClusterPolicy/p-1, missing ClusterPolicy/p-2 and 997 more' },
    { type: 'Normal', reason: 'PolicyCreated', message: 'created 1000 policies on cluster prod: ClusterPolicy/p-0, ClusterPolicy/p-1, ClusterPolicy/p-2 and 997 more' },
  ]);
});

test('one Event per reason: reverted, deleted and failed are counted apart; standing drift is not announced', () => {
  const edited = outcome('modified', 'a', 'applied');
  const extra = outcome('extra', 'b', 'deleted');
  const failed = [outcome('missing', 'c', 'failed', 'HTTP 422: invalid'), outcome('missing', 'd', 'failed', 'HTTP 409: taken')];
  const events = specEvents([edited, extra, ...failed], new Set([edited]), 'prod');
  assert.deepEqual(events.map((e) => [e.reason, e.message]), [
    ['DriftDetected', 'modified: ClusterPolicy/a is modified'],
    ['ActionFailed', '2 actions failed on cluster prod: ClusterPolicy/c: HTTP 422: invalid; ClusterPolicy/d: HTTP 409: taken'],
    ['PolicyReverted', 'reverted 1 policy on cluster prod: ClusterPolicy/a'],
    ['PolicyDeleted', 'deleted 1 policy on cluster prod: ClusterPolicy/b'],
  ]);
});

test('nothing new and nothing done: no Event', () => {
  assert.deepEqual(specEvents([outcome('modified', 'a', 'none')], new Set(), 'prod'), []);
});
