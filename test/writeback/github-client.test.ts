import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { startGitHubFake } from '../support/github-fake.ts';
import { createGitHub } from '../../src/writeback/github-client.ts';
import { upsertPlanComment } from '../../src/writeback/plan-comment.ts';
import { memoryLogger } from './fixtures.ts';
import { redactString } from '../../src/redact.ts';

const TOKEN = 'ghp_rateTOKENrateTOKENrateTOKEN456';
const seedPr = (n: number) => ({ number: n, title: 't', body: '', state: 'open' as const, head: 'f', base: 'main', draft: false, maintainer_can_modify: true, labels: [], created_at: '', updated_at: '', closed_at: null });

test('the fake rejects requests that do not match the OpenAPI description', async (t) => {
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token: TOKEN });
  t.after(() => fake.stop());
  const gh = await createGitHub({ owner: 'acme', repo: 'specs', token: TOKEN, baseUrl: fake.baseUrl });
  await assert.rejects(gh.octokit.request('POST /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'specs', title: 1, head: 'h', base: 'main' } as never), (e: { status: number }) => e.status === 422);
  await assert.rejects(gh.octokit.request('GET /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'specs', state: 'merged' } as never), (e: { status: number }) => e.status === 400);
  await assert.rejects(gh.octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner: 'acme', repo: 'specs', pull_number: 'x' } as never), (e: { status: number }) => e.status === 400);
  await assert.rejects(gh.octokit.request('GET /repos/{owner}/{repo}/no-such-thing', { owner: 'acme', repo: 'specs' }), (e: { status: number }) => e.status === 404);
  assert.equal(fake.invalidRequests.length, 4);
});

test('rate limits are waited out, not dropped: primary (x-ratelimit-reset), secondary (retry-after), 429', async (t) => {
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token: TOKEN });
  t.after(() => fake.stop());
  fake.pulls.push(seedPr(1));
  const mem = memoryLogger();
  const gh = await createGitHub({ owner: 'acme', repo: 'specs', token: TOKEN, baseUrl: fake.baseUrl, log: mem.logger });
  fake.injectRateLimit({ kind: 'primary', method: 'GET', path: /\/comments$/, resetIn: 1 });
  fake.injectRateLimit({ kind: 'secondary', method: 'POST', path: /\/comments$/, retryAfter: 1 });
  fake.injectRateLimit({ kind: 'retry-after', status: 429, method: 'PATCH', retryAfter: 2 });

  const t0 = Date.now();
  const created = await upsertPlanComment(gh, { pullNumber: 1, body: 'plan v1' });
  assert.equal(created.action, 'created');
  const updated = await upsertPlanComment(gh, { pullNumber: 1, body: 'plan v2' });
  assert.equal(updated.action, 'updated');
  const elapsed = Date.now() - t0;

  assert.deepEqual(fake.limited.map((l) => `${l.kind} ${l.method}`), ['primary GET', 'secondary POST', 'retry-after PATCH']);
  // Each limited request was retried only after the wait GitHub asked for.
  for (const l of fake.limited) {
    const retry = fake.requests.find((r) => r.time > l.time && r.method === l.method && r.path === l.path && r.status < 400);
    assert.ok(retry, `retried ${l.method} ${l.path}`);
    const asked = l.kind === 'retry-after' ? 2000 : 1000;
    assert.ok(retry.time - l.time >= asked - 100, `${l.kind}: waited ${retry.time - l.time}ms, asked ${asked}ms`);
  }
  assert.ok(elapsed >= 4000);
  // No work lost: exactly one comment, with the latest body.
  assert.equal(fake.comments.length, 1);
  assert.equal(fake.comments[0]!.body, '<!-- kspec:plan -->\nplan v2');
  assert.ok(mem.lines.some((l) => /primary rate limit; waiting/.test(l)));
  assert.ok(mem.lines.some((l) => /secondary rate limit; waiting/.test(l)));
  assert.ok(mem.lines.some((l) => /asked to retry later/.test(l)));
  assert.deepEqual(fake.invalidRequests, []);
  for (const l of mem.lines) assert.ok(!l.includes(TOKEN));
});

test('GitHub App installation auth against a GitHub Enterprise base URL', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', app: { appId: 4242, publicKey, installationId: 77 }, pathPrefix: '/api/v3' });
  t.after(() => fake.stop());
  fake.pulls.push(seedPr(3));
  const mem = memoryLogger();
  const gh = await createGitHub({ owner: 'acme', repo: 'specs', app: { appId: 4242, privateKey, installationId: 77 }, baseUrl: fake.baseUrl, log: mem.logger });
  const res = await upsertPlanComment(gh, { pullNumber: 3, body: 'hello' });
  assert.equal(res.action, 'created');
  assert.equal(fake.issuedTokens.length, 1);
  const token = fake.issuedTokens[0]!;
  // API calls used the installation token; Git gets the same token through onAuth.
  const call = fake.requests.find((r) => r.operationId === 'issues/create-comment')!;
  assert.equal(call.authorization, `token ${token}`);
  assert.deepEqual(await gh.gitCredentials(), { username: 'x-access-token', password: token });
  assert.ok(fake.requests.every((r) => r.path.startsWith('/')) && fake.requests.length >= 3);
  assert.deepEqual(fake.invalidRequests, []);
  for (const l of mem.lines) {
    assert.ok(!l.includes(token));
    assert.ok(!l.includes('PRIVATE KEY'));
  }
  assert.equal(redactString(`x ${token} y`), 'x [REDACTED] y', 'the installation token is registered with the one redactor');
});

test('GitHub server errors are retried: the comment is written once, not lost and not twice', async (t) => {
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token: TOKEN });
  t.after(() => fake.stop());
  fake.pulls.push(seedPr(1));
  const mem = memoryLogger();
  const gh = await createGitHub({ owner: 'acme', repo: 'specs', token: TOKEN, baseUrl: fake.baseUrl, log: mem.logger });
  fake.injectRateLimit({ kind: 'server-error', status: 502, method: 'POST', path: /\/comments$/, times: 2 });
  fake.injectRateLimit({ kind: 'server-error', status: 503, method: 'GET', path: /\/comments$/ });
  const created = await gh.within({ deadline: Date.now() + 60_000 }, () => upsertPlanComment(gh, { pullNumber: 1, body: 'plan' }));
  assert.equal(created.action, 'created');
  assert.equal(fake.comments.length, 1);
  assert.deepEqual(fake.requests.filter((r) => r.method === 'POST').map((r) => r.status), [502, 502, 201]);
  assert.ok(mem.lines.some((l) => /server error 502; waiting and retrying/.test(l)));
  assert.deepEqual(fake.invalidRequests, []);
});

for (const [name, limit] of [
  ['retry-after of an hour', { kind: 'retry-after', status: 429, retryAfter: 3600 }],
  ['secondary limit of an hour', { kind: 'secondary', status: 403, retryAfter: 3600 }],
  ['primary limit resetting in an hour', { kind: 'primary', status: 403, resetIn: 3600 }],
] as const) {
  test(`a ${name} is not waited out past the stage's budget: the stage fails at once and the next one writes the comment once`, async (t) => {
    const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token: TOKEN });
    t.after(() => fake.stop());
    fake.pulls.push(seedPr(1));
    const gh = await createGitHub({ owner: 'acme', repo: 'specs', token: TOKEN, baseUrl: fake.baseUrl, maxRetryAfterSeconds: 7200 });
    fake.injectRateLimit({ ...limit, method: 'POST', path: /\/comments$/ });
    const stage = () => gh.within({ deadline: Date.now() + 120_000 }, () => upsertPlanComment(gh, { pullNumber: 1, body: 'plan' }));
    // The stage refuses a wait longer than what is left of its budget. (The figures depend on how
    // long the machine took to get here, so only how they compare is asserted, not their values.)
    await assert.rejects(stage(), (err: Error) => {
      const said = /may be retried in (\d+) s, more than the (\d+) s write-back may still wait; the next pass retries/.exec(err.message);
      assert.ok(err.name === 'RetryLaterError' && said, err.message);
      const [asked, left] = [Number(said[1]), Number(said[2])];
      // At most the hour GitHub named, and the second kspec adds after a primary limit's reset.
      assert.ok(asked > left && asked <= 3601 && left <= 120, `asked ${asked} s, ${left} s left of the stage's 120 s`);
      return true;
    });
    assert.equal(fake.comments.length, 0);
    assert.equal((await stage()).action, 'created', 'the next stage does the work');
    assert.equal(fake.comments.length, 1);
  });
}

test('outside a stage no wait is longer than maxRetryAfterSeconds (default 60 s)', async (t) => {
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token: TOKEN });
  t.after(() => fake.stop());
  fake.pulls.push(seedPr(1));
  const gh = await createGitHub({ owner: 'acme', repo: 'specs', token: TOKEN, baseUrl: fake.baseUrl });
  fake.injectRateLimit({ kind: 'retry-after', status: 429, retryAfter: 3600, method: 'POST', path: /\/comments$/ });
  await assert.rejects(upsertPlanComment(gh, { pullNumber: 1, body: 'plan' }), /more than the 60 s/);
});

test('the pass\'s signal ends a rate-limit wait at once', { timeout: 120_000 }, async (t) => {
  const fake = await startGitHubFake({ owner: 'acme', repo: 'specs', token: TOKEN });
  t.after(() => fake.stop());
  fake.pulls.push(seedPr(1));
  const gh = await createGitHub({ owner: 'acme', repo: 'specs', token: TOKEN, baseUrl: fake.baseUrl, maxRetryAfterSeconds: 100_000 });
  // Far longer than the test's timeout: only the abort can end this wait.
  fake.injectRateLimit({ kind: 'retry-after', status: 429, retryAfter: 50_000, method: 'POST', path: /\/comments$/ });
  const stop = new AbortController();
  const stage = gh.within({ signal: stop.signal }, () => upsertPlanComment(gh, { pullNumber: 1, body: 'plan' }));
  while (fake.limited.length === 0) await new Promise((r) => setTimeout(r, 20));
  stop.abort(new Error('shutting down'));
  await assert.rejects(stage, /shutting down/);
  assert.equal(fake.comments.length, 0);
  assert.equal(fake.requests.filter((r) => r.method === 'POST').length, 1, 'no retry after the abort');
});
