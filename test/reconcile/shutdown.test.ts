import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { installShutdown } from '../../src/reconcile/shutdown.ts';

function fakeProcess() {
  const ee = new EventEmitter();
  return {
    on: (s: string, fn: (sig: NodeJS.Signals) => void) => ee.on(s, fn),
    off: (s: string, fn: (sig: NodeJS.Signals) => void) => ee.off(s, fn),
    emit: (s: NodeJS.Signals) => ee.emit(s, s),
    count: (s: string) => ee.listenerCount(s),
  };
}

describe('shutdown', () => {
  test('SIGTERM aborts the signal, waits for the pass, then runs hooks in order and exits 0', async () => {
    const proc = fakeProcess();
    const order: string[] = [];
    let exitCode: number | undefined;
    const sd = installShutdown({ process: proc as never, exit: (c) => (exitCode = c), gracePeriodMs: 2000 });
    sd.addHook('release lease', async () => {
      order.push('release');
    });
    sd.addHook('close server', () => {
      order.push('close');
    });
    let passSawAbort = false;
    const pass = sd.track(
      new Promise<void>((resolve) => {
        sd.signal.addEventListener('abort', () => {
          passSawAbort = true;
          setTimeout(() => {
            order.push('pass done');
            resolve();
          }, 50);
        });
      }),
    );
    assert.equal(sd.isShuttingDown(), false);
    proc.emit('SIGTERM');
    assert.equal(sd.signal.aborted, true);
    assert.equal(sd.isShuttingDown(), true);
    const code = await sd.shutdown('again');
    await pass;
    assert.equal(passSawAbort, true);
    assert.deepEqual(order, ['pass done', 'release', 'close']);
    assert.equal(code, 0);
    assert.equal(exitCode, 0);
    assert.equal(proc.count('SIGTERM'), 0, 'handlers removed');
  });

  test('a pass that outlives the grace period: hooks still get the leftover, exit 1', async () => {
    const proc = fakeProcess();
    let exitCode: number | undefined;
    const ran: string[] = [];
    const sd = installShutdown({ process: proc as never, exit: (c) => (exitCode = c), gracePeriodMs: 100 });
    sd.track(new Promise(() => {}));
    sd.addHook('slow', () => new Promise<void>(() => {}));
    sd.addHook('late', () => {
      ran.push('late');
    });
    const code = await sd.shutdown('test');
    assert.equal(code, 1);
    assert.equal(exitCode, 1);
    assert.deepEqual(ran, [], 'no time left for later hooks');
  });

  test('a failing hook does not stop the next ones', async () => {
    const proc = fakeProcess();
    const ran: string[] = [];
    const sd = installShutdown({ process: proc as never, exit: () => {}, gracePeriodMs: 1000 });
    sd.addHook('bad', () => {
      throw new Error('nope');
    });
    sd.addHook('good', () => {
      ran.push('good');
    });
    assert.equal(await sd.shutdown('test'), 0);
    assert.deepEqual(ran, ['good']);
  });

  test('a second signal exits at once with 130', async () => {
    const proc = fakeProcess();
    const codes: number[] = [];
    const sd = installShutdown({ process: proc as never, exit: (c) => codes.push(c), gracePeriodMs: 200 });
    sd.track(new Promise(() => {}));
    proc.emit('SIGINT');
    proc.emit('SIGINT');
    assert.deepEqual(codes, [130]);
    sd.dispose();
  });
});
