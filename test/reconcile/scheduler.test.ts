import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassScheduler } from '../../src/reconcile/scheduler.ts';

test('passes never overlap, and triggers during a pass are served by one more pass', async () => {
  let running = 0;
  let maxRunning = 0;
  const passes: string[][] = [];
  let release!: () => void;
  const scheduler = new PassScheduler(async (reasons) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    passes.push(reasons);
    if (passes.length === 1) await new Promise<void>((resolve) => (release = resolve));
    running--;
  });
  const first = scheduler.trigger('schedule');
  void scheduler.trigger('webhook');
  void scheduler.trigger('schedule');
  release();
  await first;
  await scheduler.idle();
  assert.equal(maxRunning, 1);
  assert.deepEqual(passes, [['schedule'], ['webhook', 'schedule']]);
});
