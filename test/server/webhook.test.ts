import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  constantTimeEqual,
  handleWebhook,
  pushConcernsServedRef,
  signGitHubBody,
  verifyGitHubSignature,
  type WebhookConfig,
  type WebhookRequest,
} from '../../src/server/webhook.ts';

const SECRET = 'gh-webhook-secret';
const TOKEN = 'generic-trigger-token';

const pushPayload = {
  ref: 'refs/heads/main',
  before: 'a'.repeat(40),
  after: 'b'.repeat(40),
  repository: { full_name: 'acme/specs', clone_url: 'https://github.com/acme/specs.git' },
};

function req(opts: { headers?: Record<string, string>; body?: string | Buffer; query?: string }): WebhookRequest {
  const body = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body ?? '');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  return { headers, body, query: new URLSearchParams(opts.query ?? '') };
}

function github(event: string, payload: unknown, secret = SECRET, extra: Record<string, string> = {}): WebhookRequest {
  const body = JSON.stringify(payload);
  return req({
    headers: {
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': 'delivery-1',
      'X-Hub-Signature-256': signGitHubBody(secret, body),
      'Content-Type': 'application/json',
      ...extra,
    },
    body,
  });
}

describe('verifyGitHubSignature', () => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');
  test('accepts the HMAC-SHA256 of the raw body', () => {
    assert.equal(verifyGitHubSignature(SECRET, body, signGitHubBody(SECRET, body)), true);
  });
  test('matches GitHub documentation example', () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    assert.equal(
      verifyGitHubSignature(
        "It's a Secret to Everybody",
        Buffer.from('Hello, World!'),
        'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      ),
      true,
    );
  });
  const bad: Array<[string, string | undefined]> = [
    ['missing', undefined],
    ['wrong secret', signGitHubBody('other', body)],
    ['sha1 form', 'sha1=' + 'a'.repeat(40)],
    ['truncated', signGitHubBody(SECRET, body).slice(0, -2)],
    ['not hex', 'sha256=' + 'z'.repeat(64)],
  ];
  for (const [name, header] of bad) {
    test(`rejects ${name}`, () => assert.equal(verifyGitHubSignature(SECRET, body, header), false));
  }
  test('rejects a modified body', () => {
    assert.equal(verifyGitHubSignature(SECRET, Buffer.from('{"zen":"x"}'), signGitHubBody(SECRET, body)), false);
  });
});

describe('constantTimeEqual', () => {
  test('equal and unequal strings of any length', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    assert.equal(constantTimeEqual('', 'x'), false);
  });
});

describe('handleWebhook', () => {
  const both: WebhookConfig = { githubSecret: SECRET, token: TOKEN };

  test('not configured: 404 and no trigger', () => {
    const r = handleWebhook(undefined, github('push', pushPayload));
    assert.equal(r.status, 404);
    assert.equal(r.push, undefined);
    assert.equal(handleWebhook({}, github('push', pushPayload)).status, 404);
  });

  test('GitHub push with a good signature triggers with ref, after and repository', () => {
    const r = handleWebhook({ githubSecret: SECRET }, github('push', pushPayload));
    assert.equal(r.status, 202);
    assert.deepEqual(r.push, {
      source: 'github',
      ref: 'refs/heads/main',
      after: 'b'.repeat(40),
      repository: 'acme/specs',
      deliveryId: 'delivery-1',
    });
  });

  test('GitHub push with a bad signature: 401', () => {
    const r = handleWebhook({ githubSecret: SECRET }, github('push', pushPayload, 'wrong-secret'));
    assert.equal(r.status, 401);
    assert.equal(r.push, undefined);
  });

  test('GitHub push without signature: 401', () => {
    const r = handleWebhook({ githubSecret: SECRET }, req({ headers: { 'X-GitHub-Event': 'push' }, body: JSON.stringify(pushPayload) }));
    assert.equal(r.status, 401);
  });

  test('signature over a different body: 401', () => {
    const good = github('push', pushPayload);
    const tampered = { ...good, body: Buffer.from(JSON.stringify({ ...pushPayload, ref: 'refs/heads/evil' })) };
    assert.equal(handleWebhook(both, tampered).status, 401);
  });

  test('ping answers 200 without triggering', () => {
    const r = handleWebhook({ githubSecret: SECRET }, github('ping', { zen: 'hi', hook_id: 1 }));
    assert.equal(r.status, 200);
    assert.equal(r.push, undefined);
  });

  test('unsupported events are ignored with 202', () => {
    const r = handleWebhook({ githubSecret: SECRET }, github('issues', { action: 'opened' }));
    assert.equal(r.status, 202);
    assert.equal(r.body.ignored, true);
    assert.equal(r.push, undefined);
  });

  test('a push deleting a branch is ignored', () => {
    const r = handleWebhook({ githubSecret: SECRET }, github('push', { ...pushPayload, after: '0'.repeat(40), deleted: true }));
    assert.equal(r.status, 202);
    assert.equal(r.push, undefined);
  });

  test('form-encoded GitHub payloads are understood', () => {
    const body = 'payload=' + encodeURIComponent(JSON.stringify(pushPayload));
    const r = handleWebhook(
      { githubSecret: SECRET },
      req({
        headers: {
          'X-GitHub-Event': 'push',
          'X-Hub-Signature-256': signGitHubBody(SECRET, body),
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body,
      }),
    );
    assert.equal(r.status, 202);
    assert.equal(r.push?.ref, 'refs/heads/main');
  });

  test('generic trigger with Authorization: Bearer', () => {
    const r = handleWebhook({ token: TOKEN }, req({ headers: { Authorization: `Bearer ${TOKEN}` } }));
    assert.equal(r.status, 202);
    assert.deepEqual(r.push, { source: 'generic', ref: undefined, after: undefined, repository: undefined });
  });

  test('generic trigger with ?token= and a JSON body', () => {
    const r = handleWebhook({ token: TOKEN }, req({ query: `token=${TOKEN}`, body: JSON.stringify({ ref: 'refs/heads/x', after: 'c'.repeat(40) }) }));
    assert.equal(r.status, 202);
    assert.equal(r.push?.ref, 'refs/heads/x');
  });

  test('GitLab push with X-Gitlab-Token', () => {
    const r = handleWebhook(
      { token: TOKEN },
      req({
        headers: { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': TOKEN },
        body: JSON.stringify({ ref: 'refs/heads/main', after: 'd'.repeat(40), project: { path_with_namespace: 'g/specs' } }),
      }),
    );
    assert.equal(r.status, 202);
    assert.deepEqual(r.push, { source: 'gitlab', ref: 'refs/heads/main', after: 'd'.repeat(40), repository: 'g/specs' });
  });

  const badTokens: Array<[string, WebhookRequest]> = [
    ['wrong bearer', req({ headers: { Authorization: 'Bearer nope' } })],
    ['token as a prefix', req({ headers: { Authorization: `Bearer ${TOKEN}x` } })],
    ['wrong query token', req({ query: 'token=nope' })],
    ['no credentials', req({})],
    ['basic auth', req({ headers: { Authorization: `Basic ${Buffer.from('u:' + TOKEN).toString('base64')}` } })],
  ];
  for (const [name, r] of badTokens) {
    test(`generic trigger rejects ${name} with 401`, () => {
      const res = handleWebhook({ token: TOKEN }, r);
      assert.equal(res.status, 401);
      assert.equal(res.push, undefined);
    });
  }

  test('a GitHub delivery may authenticate with the token instead of a signature', () => {
    const r = handleWebhook(both, { ...github('push', pushPayload, 'wrong'), query: new URLSearchParams({ token: TOKEN }) });
    assert.equal(r.status, 202);
  });

  test('authenticated but malformed generic body: 400', () => {
    const r = handleWebhook({ token: TOKEN }, req({ headers: { Authorization: `Bearer ${TOKEN}` }, body: 'not json' }));
    assert.equal(r.status, 400);
    assert.equal(r.push, undefined);
  });

  test('a push to a branch other than the served one is ignored, and says why', () => {
    const served = { githubSecret: SECRET, servedRef: () => 'main' };
    assert.equal(handleWebhook(served, github('push', pushPayload)).push?.ref, 'refs/heads/main');
    const other = handleWebhook(served, github('push', { ...pushPayload, ref: 'refs/heads/feature' }));
    assert.equal(other.status, 202);
    assert.equal(other.push, undefined);
    assert.equal(other.body.ignored, true);
    assert.match(String(other.body.reason), /kspec serves main/);
    const tag = handleWebhook(served, github('push', { ...pushPayload, ref: 'refs/tags/main-v1' }));
    assert.equal(tag.push, undefined);
  });

  test('generic and GitLab triggers naming another branch are ignored too; naming none still triggers', () => {
    const served = { token: TOKEN, servedRef: () => 'release' };
    const auth = { Authorization: `Bearer ${TOKEN}` };
    assert.equal(handleWebhook(served, req({ headers: auth, body: JSON.stringify({ ref: 'refs/heads/main' }) })).push, undefined);
    assert.equal(handleWebhook(served, req({ headers: auth, body: JSON.stringify({ ref: 'refs/heads/release' }) })).push?.ref, 'refs/heads/release');
    assert.equal(handleWebhook(served, req({ headers: auth })).status, 202);
    assert.ok(handleWebhook(served, req({ headers: auth })).push, 'a bare trigger names no branch');
    const gitlab = req({ headers: { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': TOKEN }, body: JSON.stringify({ ref: 'refs/heads/dev', after: 'd'.repeat(40) }) });
    assert.equal(handleWebhook(served, gitlab).push, undefined);
  });

  test('before the served branch is known, every push triggers', () => {
    assert.ok(handleWebhook({ githubSecret: SECRET, servedRef: () => undefined }, github('push', { ...pushPayload, ref: 'refs/heads/any' })).push);
  });

  test('curl -d with a JSON body (sent as a form) is read as JSON', () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'e'.repeat(40) });
    const r = handleWebhook({ token: TOKEN }, req({ headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body }));
    assert.equal(r.status, 202);
    assert.equal(r.push?.after, 'e'.repeat(40));
  });

  test('curl -d with form fields is read from the fields', () => {
    const r = handleWebhook({ token: TOKEN }, req({ headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'ref=refs%2Fheads%2Fmain&after=abc' }));
    assert.equal(r.status, 202);
    assert.deepEqual([r.push?.ref, r.push?.after], ['refs/heads/main', 'abc']);
  });

  test('a form-encoded GitHub push signed over other bytes than were sent is refused', () => {
    const json = JSON.stringify(pushPayload);
    const body = 'payload=' + encodeURIComponent(json);
    // Signing the decoded JSON instead of the raw form body is the mistake this guards against.
    const r = handleWebhook({ githubSecret: SECRET }, req({ headers: { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': signGitHubBody(SECRET, json), 'Content-Type': 'application/x-www-form-urlencoded' }, body }));
    assert.equal(r.status, 401);
  });
});

describe('pushConcernsServedRef', () => {
  const cases: Array<[string | undefined, string | undefined, boolean]> = [
    ['refs/heads/main', 'main', true],
    ['refs/heads/main', 'refs/heads/main', true],
    ['refs/tags/v1', 'v1', true],
    ['refs/heads/mainline', 'main', false],
    ['refs/heads/feature/main', 'main', false],
    ['refs/heads/other', 'main', false],
    [undefined, 'main', true],
    ['refs/heads/other', undefined, true],
  ];
  for (const [ref, served, expected] of cases) {
    test(`${ref} against ${served}: ${expected}`, () => assert.equal(pushConcernsServedRef(ref, served), expected));
  }
});
