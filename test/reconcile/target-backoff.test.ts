import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TargetBackoff } from '../../src/reconcile/target-backoff.ts';
import { versionCheck } from '../../src/cluster/target-probe.ts';

test('an unreachable target is retried with exponential backoff, and forgiven on success', () => {
  const backoff = new TargetBackoff({ baseMs: 1000, maxMs: 4000 });
  assert.equal(backoff.skipReason('edge', 0), undefined);
  backoff.failed('edge', 'timeout', 0);
  assert.match(backoff.skipReason('edge', 500) ?? '', /backing off after 1 failed attempts \(timeout\)/);
  assert.equal(backoff.skipReason('edge', 1000), undefined);
  backoff.failed('edge', 'timeout', 1000);
  assert.ok(backoff.skipReason('edge', 2999));
  assert.equal(backoff.skipReason('edge', 3000), undefined);
  backoff.failed('edge', 'timeout', 3000);
  backoff.failed('edge', 'timeout', 3000);
  assert.ok(backoff.skipReason('edge', 6999), 'capped at maxMs');
  assert.equal(backoff.skipReason('edge', 7000), undefined);
  assert.equal(backoff.skipReason('other', 3500), undefined, 'targets are independent');
  backoff.succeeded('edge');
  assert.equal(backoff.skipReason('edge', 3001), undefined);
});

const versions: [string | undefined, string, boolean][] = [
  ['1.20.2', 'v1.20.2', true],
  ['1.20', 'v1.20.7', true],
  ['1.28.0', 'v1.20.2', false],
  ['1.20.2', 'v1.20.2+k3s1', true],
  ['1.27', 'v1.27.3-eks-a5565ad', true],
  [undefined, 'v1.29.0', true],
];
for (const [expected, actual, matches] of versions) {
  test(`version ${expected} against ${actual}: ${matches ? 'match' : 'mismatch'}`, () => {
    assert.equal(versionCheck(expected, actual).versionMismatch === undefined, matches);
  });
}
