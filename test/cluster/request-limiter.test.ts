import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestLimiter, retryAfterMs } from '../../src/cluster/request-limiter.ts';
import type { LimiterClock } from '../../src/cluster/request-limiter.ts';
import { ClusterError } from '../../src/cluster/api-error.ts';

/** A clock whose sleeps pass at once and are recorded. */
function fakeClock(): LimiterClock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; } };
}

const tooMany = (retryAfter?: string) => new ClusterError('HTTP 429: too many requests', 429, retryAfter ? { 'retry-after': retryAfter } : undefined);

test('a 429 is sent again after the Retry-After the server named', async () => {
  const clock = fakeClock();
  const limiter = new RequestLimiter({ qps: 100, burst: 10 }, clock);
  let calls = 0;
  const result = await limiter.run(async () => {
    if (++calls === 1) throw tooMany('3');
    return 'done';
  });
  assert.equal(result, 'done');
  assert.equal(calls, 2);
  assert.deepEqual(clock.slept, [3000]);
  assert.equal(limiter.throttled, 1);
});

test('a 429 without Retry-After backs off, doubling, and gives up after a few tries', async () => {
  const clock = fakeClock();
  const limiter = new RequestLimiter({ qps: 1000, burst: 10 }, clock);
  let calls = 0;
  await assert.rejects(limiter.run(async () => { calls++; throw tooMany(); }), /429/);
  assert.equal(calls, 6);
  assert.deepEqual(clock.slept.filter((ms) => ms >= 1000), [1000, 2000, 4000, 8000, 16000]);
});

test('other errors are returned at once, not retried', async () => {
  const limiter = new RequestLimiter({ qps: 10, burst: 1 }, fakeClock());
  let calls = 0;
  await assert.rejects(limiter.run(async () => { calls++; throw new ClusterError('HTTP 422: invalid', 422); }), /422/);
  assert.equal(calls, 1);
});

test('at most burst requests are in flight at once', async () => {
  const limiter = new RequestLimiter({ qps: 1000, burst: 3 }, fakeClock());
  let inFlight = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 20 }, () => limiter.run(async () => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
  })));
  assert.equal(most, 3);
});

test('after the burst, requests are paced at qps', async () => {
  const clock = fakeClock();
  const limiter = new RequestLimiter({ qps: 10, burst: 2 }, clock);
  for (let i = 0; i < 5; i++) await limiter.run(async () => undefined);
  // two go at once from the full bucket; each of the other three waits for a token (100 ms at 10 qps)
  assert.equal(clock.slept.length, 3);
  for (const ms of clock.slept) assert.ok(Math.abs(ms - 100) < 1e-6, `waited ${ms} ms`);
});

test('Retry-After is read in seconds and capped', () => {
  assert.equal(retryAfterMs({ headers: { 'retry-after': '2' } }), 2000);
  assert.equal(retryAfterMs({ headers: { 'retry-after': '3600' } }), 30_000);
  assert.equal(retryAfterMs({ headers: {} }), undefined);
  assert.equal(retryAfterMs({ headers: { 'retry-after': 'soon' } }), undefined);
});
