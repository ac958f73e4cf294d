// The one redactor: registered secrets in every encoding they travel in, URL credentials, and
// credential-shaped text in logs and errors; ordinary words stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearSecrets, redactSecrets, redactSecretsIn, redactString, registerBasicAuth, safeError } from '../../src/redact.ts';

test('registered secrets are masked plain, Basic-encoded and URL-encoded', (t) => {
  t.after(clearSecrets);
  registerBasicAuth('x-access-token', 'supersecret/123');
  const basic = Buffer.from('x-access-token:supersecret/123').toString('base64');
  assert.equal(redactSecrets(`a supersecret/123 b ${basic} c supersecret%2F123`), 'a [REDACTED] b [REDACTED] c [REDACTED]');
});

test('URL credentials: userinfo and credential query parameters, in output and logs alike', () => {
  const text = 'https://u:p@host/x https://host/r.git?access_token=abc123&ref=main http://h/p?private_token=zzz https://h/?X-Amz-Signature=f00d';
  const expected = 'https://[REDACTED]@host/x https://host/r.git?access_token=[REDACTED]&ref=main http://h/p?private_token=[REDACTED] https://h/?X-Amz-Signature=[REDACTED]';
  assert.equal(redactSecrets(text), expected);
  assert.equal(redactString(text), expected);
});

test('logs and errors also lose credential-shaped text; command output keeps content', () => {
  const out = redactString('ghp_abcdefghijklmnopqrstuvwxyz0123 Authorization: Bearer abcdefghijkl authorization: basic dXNlcjpwYXNzd29yZA== v1.0123456789abcdef0123456789abcdef01234567');
  assert.equal(out, '[REDACTED] Authorization: Bearer [REDACTED] authorization: basic [REDACTED] [REDACTED]');
  const prose = 'the token expires soon; automountServiceAccountToken: false';
  assert.equal(redactString(prose), prose);
  // A policy that checks a `password:` field is content in rendered output, not a credential.
  const policy = 'pattern: {data: {password: "?*"}}';
  assert.equal(redactSecrets(policy), policy);
  const e = safeError(Object.assign(new Error('push to https://x:supersecret123@h failed'), { code: 'HttpError', headers: { authorization: 'token abc' } }), 'pushing');
  assert.equal(e.message, 'pushing: push to https://[REDACTED]@h failed');
  assert.equal((e as { code?: string }).code, 'HttpError');
  assert.equal((e as { headers?: unknown }).headers, undefined);
});

test('redactSecretsIn masks every string of a report-like object and keeps its shape', (t) => {
  t.after(clearSecrets);
  registerBasicAuth('x-access-token', 'tok-9f8e7d6c');
  const report = { status: { message: 'fetch of https://h/r.git?access_token=tok-9f8e7d6c failed', count: 3, ok: false, items: ['tok-9f8e7d6c', { note: null }] } };
  assert.deepEqual(redactSecretsIn(report), { status: { message: 'fetch of https://h/r.git?access_token=[REDACTED] failed', count: 3, ok: false, items: ['[REDACTED]', { note: null }] } });
});
