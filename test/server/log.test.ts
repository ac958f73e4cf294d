import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clearSecrets, createLogger, type LogLevel, isSensitiveKey, parseLogLevel, redact, redactString, registerSecret, REDACTED } from '../../src/log.ts';

function capture(level?: LogLevel) {
  const lines: string[] = [];
  const log = createLogger({ level, sink: (l) => lines.push(l), now: () => new Date('2025-01-02T03:04:05.000Z') });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

afterEach(() => clearSecrets());

describe('logger', () => {
  test('writes one JSON object per line with time, level, msg and fields', () => {
    const { log, lines, records } = capture('debug');
    log.info('hello', { n: 1 });
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith('\n'));
    assert.equal(lines[0].indexOf('\n'), lines[0].length - 1, 'exactly one line');
    assert.deepEqual(records()[0], { time: '2025-01-02T03:04:05.000Z', level: 'info', msg: 'hello', n: 1 });
  });

  test('levels filter lines; setLevel applies to children', () => {
    const { log, records } = capture('warn');
    const child = log.child({ cluster: 'c' });
    log.debug('d');
    log.info('i');
    child.warn('w');
    log.error('e');
    assert.deepEqual(records().map((r) => r.level), ['warn', 'error']);
    log.setLevel('debug');
    child.debug('now');
    assert.equal(records().at(-1)?.msg, 'now');
    assert.equal(child.isLevelEnabled('debug'), true);
  });

  test('child loggers carry {cluster, spec, commit} on every line', () => {
    const { log, records } = capture('info');
    const pass = log.child({ cluster: 'prod', spec: 'baseline' }).child({ commit: 'abc123' });
    pass.info('render');
    pass.warn('drift', { type: 'missing' });
    for (const r of records()) {
      assert.equal(r.cluster, 'prod');
      assert.equal(r.spec, 'baseline');
      assert.equal(r.commit, 'abc123');
    }
    assert.equal(records()[1].type, 'missing');
  });

  test('reserved keys cannot be overwritten by fields', () => {
    const { log, records } = capture('info');
    log.info('real', { msg: 'fake', level: 'debug' });
    const r = records()[0];
    assert.equal(r.msg, 'real');
    assert.equal(r.level, 'info');
    assert.equal(r['field.msg'], 'fake');
  });

  test('errors are serialized with name, message and stack', () => {
    const { log, records } = capture('info');
    const err = Object.assign(new Error('boom'), { code: 'E_X' });
    log.error('failed', { err });
    const e = records()[0].err as Record<string, unknown>;
    assert.equal(e.name, 'Error');
    assert.equal(e.message, 'boom');
    assert.equal(e.code, 'E_X');
    assert.match(String(e.stack), /boom/);
  });

  test('cycles, bigint and buffers do not break a line', () => {
    const { log, records } = capture('info');
    const a: Record<string, unknown> = { x: 1n, buf: Buffer.from('secret-bytes') };
    a.self = a;
    log.info('weird', { a });
    const r = records()[0].a as Record<string, unknown>;
    assert.equal(r.x, '1');
    assert.equal(r.self, '[Circular]');
    assert.equal(r.buf, '[12 bytes]');
  });

  test('parseLogLevel', () => {
    assert.equal(parseLogLevel('DEBUG'), 'debug');
    assert.equal(parseLogLevel('warning'), 'warn');
    assert.equal(parseLogLevel('nope'), undefined);
    assert.equal(parseLogLevel(undefined), undefined);
  });

  test('KSPEC_LOG_LEVEL sets the default level', () => {
    const before = process.env.KSPEC_LOG_LEVEL;
    process.env.KSPEC_LOG_LEVEL = 'error';
    try {
      const lines: string[] = [];
      const log = createLogger({ sink: (l) => lines.push(l) });
      log.warn('w');
      log.error('e');
      assert.equal(lines.length, 1);
    } finally {
      if (before === undefined) delete process.env.KSPEC_LOG_LEVEL;
      else process.env.KSPEC_LOG_LEVEL = before;
    }
  });
});

describe('redaction', () => {
  const cases: Array<[string, string, string]> = [
    ['bearer header', 'Authorization: Bearer abcdefghijklmnop', 'abcdefghijklmnop'],
    ['lowercase bearer', 'sent bearer s3cr3tT0kenValue', 's3cr3tT0kenValue'],
    ['basic auth', 'Basic dXNlcjpodW50ZXIy', 'dXNlcjpodW50ZXIy'],
    ['url userinfo', 'cloning https://x-access-token:hunter2hunter2@github.com/o/r.git', 'hunter2hunter2'],
    ['url token only', 'fetch https://ghp_notreallyatoken@github.com/o/r', 'ghp_notreallyatoken'],
    ['query token', 'POST /webhook?token=supersecretvalue&x=1', 'supersecretvalue'],
    ['github classic token', 'token is ghp_0123456789abcdefghijABCDEFGHIJ012345', 'ghp_0123456789abcdefghijABCDEFGHIJ012345'],
    ['github fine-grained', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'],
    ['jwt', 'sa token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJrc3BlYyJ9.c2lnbmF0dXJlc2ln', 'eyJzdWIiOiJrc3BlYyJ9'],
    ['password kv', 'password=correcthorse', 'correcthorse'],
    ['yaml token', 'users:\n- user:\n    token: abcdef123456\n', 'abcdef123456'],
    ['json secret', '{"client_secret":"zzz-top-999"}', 'zzz-top-999'],
    ['pem', '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA'],
  ];
  for (const [name, input, secret] of cases) {
    test(`masks ${name}`, () => {
      const out = redactString(input);
      assert.ok(!out.includes(secret), `${JSON.stringify(out)} still contains the secret`);
      assert.ok(out.includes(REDACTED));
    });
  }

  test('leaves ordinary prose alone', () => {
    const s = 'basic auth is not configured; spec baseline has 3 policies in namespace kspec-system (secretRef remote)';
    assert.equal(redactString(s), s);
  });

  test('registered secrets are masked anywhere, also base64 and url-encoded', () => {
    registerSecret('plain-Value/with+chars');
    const b64 = Buffer.from('plain-Value/with+chars').toString('base64');
    const out = redactString(`a plain-Value/with+chars b ${b64} c ${encodeURIComponent('plain-Value/with+chars')}`);
    assert.ok(!out.includes('plain-Value'));
    assert.ok(!out.includes(b64));
    assert.equal(out.split(REDACTED).length - 1, 3);
  });

  test('short registered values are ignored', () => {
    registerSecret('ab');
    assert.equal(redactString('ab cd'), 'ab cd');
  });

  test('sensitive keys are masked whatever the value looks like', () => {
    const out = redact({ gitToken: 'x', password: 'p', headers: { Authorization: 'whatever' }, client_secret: 's', secretRef: { name: 'kubeconfig' }, tokenFile: 3 }) as Record<string, unknown>;
    assert.equal(out.gitToken, REDACTED);
    assert.equal(out.password, REDACTED);
    assert.deepEqual(out.headers, { Authorization: REDACTED });
    assert.equal(out.client_secret, REDACTED);
    assert.deepEqual(out.secretRef, { name: 'kubeconfig' });
    assert.equal(out.tokenFile, 3);
    assert.equal(isSensitiveKey('X-Hub-Signature-256'), true);
    assert.equal(isSensitiveKey('cluster'), false);
  });

  test('tokens never reach the sink: message, fields, nested errors', () => {
    const token = 'ghs_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const other = 'my-own-secret-password-value';
    registerSecret(other);
    const { log, lines } = capture('debug');
    const err = new Error(`fetch https://x:${token}@github.com failed with ${other}`, { cause: new Error(`cause ${other}`) });
    Object.assign(err, { config: { headers: { authorization: `token ${token}` } } });
    log.error(`failed with ${other}`, { err, url: `https://github.com/o/r?access_token=${token}`, note: other });
    log.child({ gitToken: token }).info('child binding');
    const text = lines.join('');
    assert.ok(!text.includes(token), text);
    assert.ok(!text.includes(other), text);
  });
});
