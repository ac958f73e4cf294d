import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor } from '../../src/writeback/redact.ts';

test('redactor: known secrets (plain and Basic-encoded), URL credentials, token shapes; ordinary words stay', () => {
  const r = new Redactor();
  r.addBasic('x-access-token', 'supersecret123');
  const basic = Buffer.from('x-access-token:supersecret123').toString('base64');
  const out = r.redact(`a supersecret123 b ${basic} https://u:p@host/x ghp_abcdefghijklmnopqrstuvwxyz0123 Authorization: Bearer abcdefghijkl`);
  assert.equal(out, 'a [REDACTED] b [REDACTED] https://[REDACTED]@host/x [REDACTED] Authorization: Bearer [REDACTED]');
  const prose = 'the token expires soon; automountServiceAccountToken: false';
  assert.equal(r.redact(prose), prose);
  const e = r.error(Object.assign(new Error('push to https://x:supersecret123@h failed'), { code: 'HttpError' }), 'pushing');
  assert.equal(e.message, 'pushing: push to https://[REDACTED]@h failed');
  assert.equal((e as { code?: string }).code, 'HttpError');
});
