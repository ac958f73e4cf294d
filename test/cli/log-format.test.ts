// Log lines are for whoever reads them: text for a person at a terminal, JSON lines for a
// collector, chosen by whether stderr is a terminal unless --log-format (KSPEC_LOG_FORMAT) says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearSecrets, createLogger, registerSecret } from '../../src/log.ts';
import { parseFlags } from '../../src/cli/command.ts';
import { commandLogger, logFlags } from '../../src/cli/log-flags.ts';
import type { CommandIO } from '../../src/cli/command.ts';

const NOW = new Date(2025, 0, 2, 3, 4, 5);

test('text lines: local time, level, message, then the fields as key=value, redacted and quoted where needed', () => {
  const lines: string[] = [];
  const log = createLogger({ format: 'text', level: 'debug', sink: (l) => lines.push(l), now: () => NOW, fields: { cluster: 'prod' } });
  registerSecret('s3cret-token-value');
  try {
    log.warn('cannot reach target', { error: 'connect ECONNREFUSED 10.0.0.1:443', attempt: 2, token: 'abc', detail: { why: 'x' } });
    log.info('fetched specs');
    log.debug('used s3cret-token-value', { line: 'a\u001b[2Jb' });
  } finally {
    clearSecrets();
  }
  assert.deepEqual(lines, [
    '03:04:05 WARN  cannot reach target  cluster=prod error="connect ECONNREFUSED 10.0.0.1:443" attempt=2 token=[REDACTED] detail="{\\"why\\":\\"x\\"}"\n',
    '03:04:05 INFO  fetched specs  cluster=prod\n',
    '03:04:05 DEBUG used [REDACTED]  cluster=prod line=a\\x1b[2Jb\n',
  ]);
});

function io(isTTY: boolean, env: NodeJS.ProcessEnv = {}): CommandIO & { lines: string[] } {
  const lines: string[] = [];
  return { lines, stdout: () => assert.fail('a log line went to stdout'), stderr: (s) => void lines.push(s), env, stderrIsTTY: isTTY };
}

function logWith(argv: string[], target: ReturnType<typeof io>): string {
  const { flags } = parseFlags(argv, logFlags('info'), target.env);
  commandLogger(flags, target).info('pass finished', { ok: true });
  assert.equal(target.lines.length, 1);
  return target.lines[0];
}

test('commands log text on a terminal and JSON lines otherwise, always on stderr; --log-format and KSPEC_LOG_FORMAT choose', () => {
  assert.match(logWith([], io(true)), /^\d\d:\d\d:\d\d INFO  pass finished  ok=true\n$/);
  assert.equal(JSON.parse(logWith([], io(false))).msg, 'pass finished');
  assert.equal(JSON.parse(logWith(['--log-format', 'json'], io(true))).ok, true);
  assert.match(logWith(['--log-format', 'text'], io(false)), /INFO  pass finished/);
  assert.match(logWith([], io(false, { KSPEC_LOG_FORMAT: 'text' })), /INFO  pass finished/);
  assert.equal(JSON.parse(logWith([], io(true, { KSPEC_LOG_FORMAT: 'json' }))).level, 'info');
  // --log-level, and KSPEC_LOG_LEVEL as before.
  const quiet = io(false, { KSPEC_LOG_LEVEL: 'warn' });
  commandLogger(parseFlags([], logFlags('info'), quiet.env).flags, quiet).info('hidden');
  assert.deepEqual(quiet.lines, []);
  assert.throws(() => commandLogger(parseFlags(['--log-format', 'xml'], logFlags('info'), {}).flags, io(false)), /--log-format must be text or json, not "xml"/);
  assert.throws(() => commandLogger(parseFlags(['--log-level', 'loud'], logFlags('info'), {}).flags, io(false)), /--log-level must be debug, info, warn, error, not "loud"/);
});
