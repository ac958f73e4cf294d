import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setConditions } from '../../src/reconcile/conditions.ts';

test('lastTransitionTime moves only when a condition changes status', () => {
  const first = setConditions(undefined, [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok' }], 'T1', 3);
  const same = setConditions(first, [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'still ok' }], 'T2', 4);
  const flipped = setConditions(same, [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: 'bad' }], 'T3', 5);
  assert.deepEqual(first[0], { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', lastTransitionTime: 'T1', observedGeneration: 3 });
  assert.equal(same[0].lastTransitionTime, 'T1');
  assert.equal(same[0].message, 'still ok');
  assert.equal(flipped[0].lastTransitionTime, 'T3');
});
