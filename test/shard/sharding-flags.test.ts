import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.ts';

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(['run', '--repo', '.', ...args], { stdout: () => undefined, stderr: (s) => void (err += s), env: { ...process.env, ...env } });
  return { code, err };
}

test('kspec run --sharding: wrong combinations are usage errors that say what to add', async () => {
  const table: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--sharding', 'auto'], {}, /--sharding auto needs --leader-elect/],
    [['--sharding', 'sometimes', '--leader-elect'], {}, /--sharding must be none, auto or static, not "sometimes"/],
    [['--sharding', 'static'], {}, /--sharding static needs --shard N\/M/],
    [['--shard', '0/2'], {}, /--shard N\/M goes with --sharding static/],
    [['--sharding', 'static', '--shard', '2/2'], {}, /N must be below M/],
    [['--sharding', 'static', '--shard', 'ordinal/3'], { POD_NAME: 'kspec-abc' }, /does not end in -<number>/],
    // Flags come from the environment too, as the deployed ConfigMap sets them.
    [[], { KSPEC_SHARDING: 'auto' }, /--sharding auto needs --leader-elect/],
  ];
  for (const [args, env, want] of table) {
    const r = await run(args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, want, args.join(' '));
  }
});
