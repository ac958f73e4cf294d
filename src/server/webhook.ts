// Push webhooks that trigger a pass right away instead of waiting for the next poll.
//
// Two ways to authenticate; either one is enough:
//   - GitHub: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(githubSecret, raw body).
//   - Generic: a shared token in `Authorization: Bearer <token>`, `X-Gitlab-Token: <token>`
//     or `?token=<token>` (the query form exists for senders that cannot set headers; prefer
//     the header, query strings end up in proxy logs).
// Every comparison is constant time. Without any configured secret the endpoint refuses
// everything (404): an unauthenticated trigger would let anyone make kspec hammer Git and the
// API servers.
//
// Event handling: GitHub `ping` answers 200 without triggering; GitHub `push` (and GitLab
// `Push Hook`) triggers with {ref, after, repository}; a push that deletes a branch, a push to a
// branch kspec does not serve, and every other event answer 202 "ignored". A request without an
// event header is a generic trigger; its optional body may carry {ref, after, repository}.
//
// Bodies are read as GitHub and curl send them: JSON, a form with the JSON in `payload=` (GitHub's
// `application/x-www-form-urlencoded` content type), or JSON sent by `curl -d` (which labels it a
// form). The signature is always checked over the raw bytes, before any of that.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface WebhookConfig {
  /** The secret configured on the GitHub webhook (X-Hub-Signature-256). */
  githubSecret?: string;
  /** A shared token for the generic form (Authorization: Bearer, X-Gitlab-Token or ?token=). */
  token?: string;
  /** Largest accepted body; default 2 MiB (GitHub push payloads are capped at 25 MB but are rarely over 100 KB). */
  maxBodyBytes?: number;
  /**
   * The branch (or tag) kspec serves, once known: a push naming another ref triggers nothing.
   * Undefined (no --branch, and the remote's default branch not fetched yet) lets every push through.
   */
  servedRef?: () => string | undefined;
  /**
   * Webhook requests read at once; more get 429 with Retry-After. With maxBodyBytes this bounds
   * the memory a flood can take (default 8 × 2 MiB).
   */
  maxConcurrentRequests?: number;
}

/** What a verified push tells the scheduler. Fields are absent when the sender did not say. */
export interface PushEvent {
  source: 'github' | 'gitlab' | 'generic';
  /** e.g. refs/heads/main */
  ref?: string;
  /** Commit SHA after the push. */
  after?: string;
  /** owner/name (GitHub full_name, GitLab path_with_namespace) or a clone URL. */
  repository?: string;
  /** X-GitHub-Delivery, for correlating with GitHub's delivery log. */
  deliveryId?: string;
}

export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  /** Query string parameters of the request URL. */
  query: URLSearchParams;
  /** The raw body, exactly as received (the signature is over these bytes). */
  body: Buffer;
}

export interface WebhookResult {
  status: number;
  body: Record<string, unknown>;
  /** Set when the request should trigger a pass. */
  push?: PushEvent;
}

export const DEFAULT_MAX_WEBHOOK_BODY = 2 * 1024 * 1024;
export const DEFAULT_MAX_CONCURRENT_WEBHOOKS = 8;

const ZERO_SHA = /^0{40}$|^0{64}$/;

export function isWebhookConfigured(config: WebhookConfig | undefined): boolean {
  return Boolean(config && (config.githubSecret || config.token));
}

/** Constant-time string equality (both sides are hashed first, so lengths do not leak either). */
export function constantTimeEqual(a: string, b: string): boolean {
  const key = 'kspec-compare';
  const ha = createHmac('sha256', key).update(a, 'utf8').digest();
  const hb = createHmac('sha256', key).update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** Checks GitHub's `X-Hub-Signature-256: sha256=<hex>` against HMAC-SHA256(secret, body). */
export function verifyGitHubSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!secret || !header) return false;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(m[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The value GitHub would send for `body` signed with `secret` (tests and fakes). */
export function signGitHubBody(secret: string, body: Buffer | string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The token a generic sender presented, if any. */
export function presentedToken(req: Pick<WebhookRequest, 'headers' | 'query'>): string | undefined {
  const auth = header(req.headers, 'authorization');
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  const gitlab = header(req.headers, 'x-gitlab-token');
  if (gitlab) return gitlab;
  return req.query.get('token') ?? undefined;
}

/** True when the request proves knowledge of a configured secret. */
export function authenticate(config: WebhookConfig, req: WebhookRequest): boolean {
  let ok = false;
  if (config.githubSecret) {
    ok = verifyGitHubSignature(config.githubSecret, req.body, header(req.headers, 'x-hub-signature-256'));
  }
  if (!ok && config.token) {
    const t = presentedToken(req);
    ok = t !== undefined && constantTimeEqual(t, config.token);
  }
  return ok;
}

/**
 * The payload as an object: JSON; or for a form body, the JSON in its `payload` field (GitHub),
 * the body itself when it is JSON (`curl -d '{…}'` labels JSON a form), or the form's own
 * ref/after/repository fields (`curl -d ref=refs/heads/main`).
 */
function parsePayload(req: WebhookRequest): Record<string, unknown> | undefined {
  if (req.body.length === 0) return {};
  const type = (header(req.headers, 'content-type') ?? '').toLowerCase();
  const text = req.body.toString('utf8');
  if (!type.startsWith('application/x-www-form-urlencoded')) return jsonObject(text);
  const form = new URLSearchParams(text);
  const payload = form.get('payload');
  if (payload !== null) return jsonObject(payload);
  const json = jsonObject(text);
  if (json) return json;
  const fields = Object.fromEntries(['ref', 'after', 'repository'].flatMap((k) => (form.has(k) ? [[k, form.get(k)]] : [])));
  return Object.keys(fields).length ? fields : undefined;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a push to `ref` concerns the served branch or tag. A push that names no ref (a generic
 * trigger), or arrives before kspec knows its branch, is taken as concerning it.
 */
export function pushConcernsServedRef(ref: string | undefined, served: string | undefined): boolean {
  if (ref === undefined || served === undefined) return true;
  const short = served.replace(/^refs\/(heads|tags)\//, '');
  return ref === served || ref === `refs/heads/${short}` || ref === `refs/tags/${short}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/**
 * Decides what to answer to one webhook request whose body has been read in full. Pure: the
 * caller triggers `result.push` when present.
 */
export function handleWebhook(config: WebhookConfig | undefined, req: WebhookRequest): WebhookResult {
  const result = classifyWebhook(config, req);
  if (!result.push || !config) return result;
  const served = config.servedRef?.();
  if (pushConcernsServedRef(result.push.ref, served)) return result;
  return { status: 202, body: { ignored: true, event: result.body.event, ref: result.push.ref, reason: `kspec serves ${served}, not this ref` } };
}

function classifyWebhook(config: WebhookConfig | undefined, req: WebhookRequest): WebhookResult {
  if (!config || !isWebhookConfigured(config)) {
    return { status: 404, body: { error: 'webhook not configured' } };
  }
  if (!authenticate(config, req)) {
    return { status: 401, body: { error: 'invalid signature or token' } };
  }
  const githubEvent = header(req.headers, 'x-github-event');
  const gitlabEvent = header(req.headers, 'x-gitlab-event');
  const deliveryId = header(req.headers, 'x-github-delivery');
  const payload = parsePayload(req);

  if (githubEvent !== undefined) {
    if (githubEvent === 'ping') return { status: 200, body: { ok: true, event: 'ping' } };
    if (githubEvent !== 'push') return { status: 202, body: { ignored: true, event: githubEvent } };
    if (!payload) return { status: 400, body: { error: 'push payload is not JSON' } };
    if (payload.deleted === true || ZERO_SHA.test(str(payload.after) ?? '')) {
      return { status: 202, body: { ignored: true, event: 'push', reason: 'branch deleted' } };
    }
    const repo = obj(payload.repository);
    const push: PushEvent = {
      source: 'github',
      ref: str(payload.ref),
      after: str(payload.after),
      repository: str(repo.full_name) ?? str(repo.clone_url),
      deliveryId,
    };
    return { status: 202, body: { accepted: true, event: 'push', ref: push.ref, after: push.after }, push };
  }

  if (gitlabEvent !== undefined) {
    if (gitlabEvent !== 'Push Hook') return { status: 202, body: { ignored: true, event: gitlabEvent } };
    if (!payload) return { status: 400, body: { error: 'push payload is not JSON' } };
    if (ZERO_SHA.test(str(payload.after) ?? '')) {
      return { status: 202, body: { ignored: true, event: 'push', reason: 'branch deleted' } };
    }
    const project = obj(payload.project);
    const push: PushEvent = {
      source: 'gitlab',
      ref: str(payload.ref),
      after: str(payload.after),
      repository: str(project.path_with_namespace) ?? str(project.git_http_url),
    };
    return { status: 202, body: { accepted: true, event: 'push', ref: push.ref, after: push.after }, push };
  }

  // Generic trigger: the body is optional, but when present it must be a JSON object.
  if (!payload) return { status: 400, body: { error: 'body must be empty or a JSON object' } };
  const repoField = payload.repository;
  const push: PushEvent = {
    source: 'generic',
    ref: str(payload.ref),
    after: str(payload.after),
    repository: str(repoField) ?? str(obj(repoField).full_name),
  };
  return { status: 202, body: { accepted: true, event: 'trigger', ref: push.ref, after: push.after }, push };
}

export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** Reads a request body, failing with BodyTooLargeError as soon as it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, body?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish(new BodyTooLargeError(limit));
        req.resume(); // drain and discard the rest
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks, size));
    const onError = (err: Error) => finish(err);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
