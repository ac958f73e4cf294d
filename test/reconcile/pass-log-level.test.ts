import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passLogLevel } from '../../src/reconcile/pass-log-level.ts';
import type { PassResult } from '../../src/reconcile/pass.ts';

const result = (ok: boolean, actions: string[]) => ({ ok, specs: [{ actions: actions.map((action) => ({ action })) }] }) as unknown as PassResult;

test('an idle pass woken only by watch resyncs logs at debug; anything else, any action and any failure at info', () => {
  const resync = ['watch resync on prod: ClusterPolicy watch resumed', 'watch resync on prod: Policy watch resumed'];
  assert.equal(passLogLevel(resync), 'debug');
  assert.equal(passLogLevel(resync, result(true, [])), 'debug');
  assert.equal(passLogLevel(resync, result(true, ['none'])), 'debug', 'standing monitor-mode drift is not news');
  assert.equal(passLogLevel(resync, result(true, ['created'])), 'info');
  assert.equal(passLogLevel(resync, result(false, [])), 'info');
  assert.equal(passLogLevel(['schedule']), 'info');
  assert.equal(passLogLevel(['watch deleted ClusterPolicy/a on prod']), 'info');
  assert.equal(passLogLevel([...resync, 'push refs/heads/main abc']), 'info');
});
