import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveAfterActions } from '../../src/reconcile/observe-drift.ts';
import type { ActionOutcome } from '../../src/reconcile/act.ts';
import type { Drift } from '../../src/drift/detect.ts';
import type { KyvernoPolicy } from '../../src/render/desired-policy.ts';

const policy = (name: string, message = 'm'): KyvernoPolicy =>
  ({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name }, spec: { rules: [{ name: 'r', validate: { message } }] } }) as unknown as KyvernoPolicy;

test('after acting, the live policies are what the API server answered: created and applied as stored, deleted gone, failed as seen', () => {
  const live = [policy('edited', 'changed by hand'), policy('extra'), policy('kept'), policy('stubborn', 'changed by hand')];
  const actions: ActionOutcome[] = [
    { drift: { type: 'missing' } as Drift, action: 'created', stored: policy('new') },
    { drift: { type: 'modified' } as Drift, action: 'applied', stored: policy('edited') },
    { drift: { type: 'extra', live: policy('extra') } as Drift, action: 'deleted' },
    { drift: { type: 'modified' } as Drift, action: 'failed', error: 'HTTP 500' },
  ];
  const after = liveAfterActions(live, actions);
  assert.deepEqual(after.map((p) => [p.metadata.name, (p.spec.rules as { validate: { message: string } }[])[0].validate.message]), [
    ['edited', 'm'],
    ['kept', 'm'],
    ['new', 'm'],
    ['stubborn', 'changed by hand'],
  ]);
});

test('a dry run changes nothing', () => {
  const live = [policy('a')];
  const after = liveAfterActions(live, [{ drift: { type: 'extra', live: policy('a') } as Drift, action: 'dry-run' }]);
  assert.deepEqual(after.map((p) => p.metadata.name), ['a']);
});
