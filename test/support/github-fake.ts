// A GitHub REST fake for tests that cannot drift from the real API: EVERY request is matched to
// an operation of GitHub's published OpenAPI description (@octokit/openapi, api.github.com) and
// validated — path parameters, query parameters (known names, types, required), and the JSON body
// against the operation's requestBody schema with ajv ($refs resolved inside the description).
// Unknown top-level body fields are rejected too (GitHub ignores them, but here they are a bug).
// Invalid requests get 422 (body) / 400 (parameters) / 404 (no such operation) and are recorded,
// so a test can assert `fake.invalidRequests` is empty.
//
// State: pull requests, issue comments, labels, and (through an optional hook) branches, enough
// for kspec's drift PRs and plan comments. Rate limits can be injected: primary (403 +
// x-ratelimit-remaining: 0 + x-ratelimit-reset), secondary (403/429 + retry-after + GitHub's
// wording) or a bare 429 + retry-after; and server errors (500/502/503, as GitHub answers during an
// incident) with `kind: 'server-error'`. GitHub App auth: POST /app/installations/{id}/access_tokens
// verifies the app's RS256 JWT with the app's public key and issues an installation token.
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createPublicKey, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

type Json = any;

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  paramNames: string[];
  literalSegments: number;
  op: Json;
  pointer: string;
}

export interface RecordedApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  operationId?: string;
  /** Validation errors; empty when the request conforms to the description. */
  errors: string[];
  status: number;
  /** Raw Authorization header value, so tests can check what was sent (not logged anywhere). */
  authorization?: string;
  time: number;
}

export interface InjectedLimit {
  method?: string;
  /** Matches the request path (string: exact; RegExp: test). */
  path?: string | RegExp;
  kind: 'primary' | 'secondary' | 'retry-after' | 'server-error';
  status?: 403 | 429 | 500 | 502 | 503;
  /** Seconds for retry-after (secondary, retry-after). */
  retryAfter?: number;
  /** Seconds until x-ratelimit-reset (primary). */
  resetIn?: number;
  /** How many matching requests get the limit response (default 1). */
  times?: number;
}

export interface FakePull {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  head: string;
  base: string;
  draft: boolean;
  maintainer_can_modify: boolean;
  labels: string[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface FakeComment {
  id: number;
  issue_number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}

export interface GitHubFakeOptions {
  owner: string;
  repo: string;
  /** Accepted token (Authorization: token|Bearer <token>). */
  token?: string;
  /** GitHub App: id and public key (PEM) used to verify app JWTs. */
  app?: { appId: number | string; publicKey: string | KeyObject; installationId: number };
  /** Serve under a prefix, as GitHub Enterprise Server does (/api/v3). */
  pathPrefix?: string;
  /** Whether a branch exists (e.g. backed by the test Git server). Default: every branch exists. */
  branchExists?: (branch: string) => Promise<boolean> | boolean;
  /** The user comments and PRs are attributed to. */
  login?: string;
}

export interface GitHubFake {
  url: string;
  /** baseUrl to give octokit (url + pathPrefix). */
  baseUrl: string;
  requests: RecordedApiRequest[];
  readonly invalidRequests: RecordedApiRequest[];
  pulls: FakePull[];
  comments: FakeComment[];
  /** Installation tokens issued to the app. */
  issuedTokens: string[];
  /** Limit responses served: when and for which request. */
  limited: { method: string; path: string; kind: InjectedLimit['kind']; time: number }[];
  injectRateLimit(limit: InjectedLimit): void;
  stop(): Promise<void>;
}

// ------------------------------------------------------------------ OpenAPI index (loaded once)

let indexCache: { doc: Json; ops: Operation[]; ajv: Ajv; compiled: Map<string, ValidateFunction> } | undefined;

function openapiPath(): string {
  return require.resolve('@octokit/openapi/generated/api.github.com.json');
}

function escapePointer(seg: string): string {
  return seg.replace(/~/g, '~0').replace(/\//g, '~1');
}

function loadIndex() {
  if (indexCache) return indexCache;
  const doc = JSON.parse(readFileSync(openapiPath(), 'utf8')) as Json;
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries<Json>(doc.paths)) {
    const paramNames: string[] = [];
    const parts = template.split('/').map((seg) => {
      if (/^\{[^}]+\}$/.test(seg)) {
        paramNames.push(seg.slice(1, -1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{([^}]+)\\\}/g, (_m, n: string) => {
        paramNames.push(n);
        return '([^/]+)';
      });
    });
    const regex = new RegExp(`^${parts.join('/')}$`);
    const literalSegments = template.split('/').filter((s) => s && !s.includes('{')).length;
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (item[method]) ops.push({ method: method.toUpperCase(), template, regex, paramNames: [...paramNames], literalSegments, op: item[method], pointer: `#/paths/${escapePointer(template)}/${method}` });
    }
  }
  ops.sort((a, b) => b.literalSegments - a.literalSegments);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false, addUsedSchema: false });
  ajv.addSchema({ $id: 'https://api.github.com/openapi.json', components: doc.components }, undefined, undefined, false);
  indexCache = { doc, ops, ajv, compiled: new Map() };
  return indexCache;
}

/** Rewrites local $refs to point into the registered components document. */
function absolutize(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(absolutize);
  if (schema && typeof schema === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(schema)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `https://api.github.com/openapi.json${v}` : absolutize(v);
    }
    return out;
  }
  return schema;
}

function deref(doc: Json, obj: Json): Json {
  let cur = obj;
  for (let i = 0; cur && typeof cur === 'object' && typeof cur.$ref === 'string' && i < 10; i++) {
    const parts = (cur.$ref as string).replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    cur = parts.reduce((o: Json, p) => o?.[p], doc);
  }
  return cur;
}

function validator(key: string, schema: Json): ValidateFunction {
  const idx = loadIndex();
  let v = idx.compiled.get(key);
  if (!v) {
    v = idx.ajv.compile(absolutize(schema));
    idx.compiled.set(key, v);
  }
  return v;
}

function coerce(value: string, schema: Json): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (type === 'array') return value.split(',');
  return value;
}

function ajvErrors(v: ValidateFunction): string[] {
  return (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/** Validates one request against the description; returns the operation and errors. */
export function validateRequest(method: string, path: string, query: Record<string, string>, body: unknown, hasBody: boolean): { op?: Operation; params: Record<string, string>; errors: string[]; status: number } {
  const idx = loadIndex();
  const candidates = idx.ops.filter((o) => o.regex.test(path));
  const op = candidates.find((o) => o.method === method);
  if (!op) return { params: {}, errors: [candidates.length ? `method ${method} not allowed on ${path}` : `no operation for ${method} ${path}`], status: candidates.length ? 405 : 404 };
  const m = op.regex.exec(path)!;
  const params: Record<string, string> = {};
  op.paramNames.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
  const errors: string[] = [];
  const declared = ((op.op.parameters ?? []) as Json[]).map((p) => deref(idx.doc, p));
  for (const p of declared) {
    if (p.in === 'path') {
      const v = params[p.name];
      if (v === undefined) { errors.push(`path parameter ${p.name} missing`); continue; }
      const val = validator(`${op.pointer}/path/${p.name}`, p.schema ?? {});
      if (!val(coerce(v, p.schema))) errors.push(...ajvErrors(val).map((e) => `path ${p.name}: ${e}`));
    } else if (p.in === 'query') {
      const v = query[p.name];
      if (v === undefined) { if (p.required) errors.push(`query parameter ${p.name} required`); continue; }
      const val = validator(`${op.pointer}/query/${p.name}`, p.schema ?? {});
      if (!val(coerce(v, p.schema))) errors.push(...ajvErrors(val).map((e) => `query ${p.name}: ${e}`));
    }
  }
  const knownQuery = new Set(declared.filter((p) => p.in === 'query').map((p) => p.name));
  for (const k of Object.keys(query)) if (!knownQuery.has(k)) errors.push(`unknown query parameter ${k}`);
  if (errors.length) return { op, params, errors, status: 400 };

  const rb = deref(idx.doc, op.op.requestBody);
  const schema = rb?.content?.['application/json']?.schema;
  if (hasBody && !schema) return { op, params, errors: ['operation takes no JSON body'], status: 422 };
  if (!hasBody && rb?.required) return { op, params, errors: ['request body required'], status: 422 };
  if (hasBody && schema) {
    const val = validator(`${op.pointer}/body`, schema);
    if (!val(body)) errors.push(...ajvErrors(val).map((e) => `body ${e}`));
    const resolved = deref(idx.doc, schema);
    if (resolved?.type === 'object' && resolved.properties && resolved.additionalProperties === undefined && body && typeof body === 'object' && !Array.isArray(body)) {
      for (const k of Object.keys(body as object)) if (!(k in resolved.properties)) errors.push(`body: unknown property ${k}`);
    }
    if (errors.length) return { op, params, errors, status: 422 };
  }
  return { op, params, errors, status: 200 };
}

// ------------------------------------------------------------------ server

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function verifyJwt(jwt: string, key: KeyObject, appId: string): string | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'malformed JWT';
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  if (header.alg !== 'RS256') return `unexpected alg ${header.alg}`;
  if (!verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return 'bad JWT signature';
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  if (String(payload.iss) !== appId) return 'wrong issuer';
  if (!(payload.exp > now) || payload.exp - payload.iat > 660) return 'expired or too long-lived JWT';
  return undefined;
}

export async function startGitHubFake(opts: GitHubFakeOptions): Promise<GitHubFake> {
  loadIndex();
  const prefix = (opts.pathPrefix ?? '').replace(/\/+$/, '');
  const login = opts.login ?? 'kspec-bot';
  const requests: RecordedApiRequest[] = [];
  const pulls: FakePull[] = [];
  const comments: FakeComment[] = [];
  const issuedTokens: string[] = [];
  const limits: (InjectedLimit & { left: number })[] = [];
  const limited: GitHubFake['limited'] = [];
  let issueSeq = 0;
  let commentSeq = 1000;
  const appKey = opts.app ? (typeof opts.app.publicKey === 'string' ? createPublicKey(opts.app.publicKey) : opts.app.publicKey) : undefined;
  let baseUrl = '';

  const now = () => new Date().toISOString();
  const htmlRepo = () => `https://github.example/${opts.owner}/${opts.repo}`;
  const user = () => ({ login, id: 1, type: 'Bot' });
  const pullJson = (p: FakePull) => ({
    id: p.number * 10, number: p.number, state: p.state, title: p.title, body: p.body, draft: p.draft,
    html_url: `${htmlRepo()}/pull/${p.number}`, url: `${baseUrl}/repos/${opts.owner}/${opts.repo}/pulls/${p.number}`,
    user: user(), labels: p.labels.map((name, i) => ({ id: i + 1, name })), maintainer_can_modify: p.maintainer_can_modify,
    head: { ref: p.head, label: `${opts.owner}:${p.head}`, repo: { name: opts.repo, owner: { login: opts.owner } } },
    base: { ref: p.base, label: `${opts.owner}:${p.base}`, repo: { name: opts.repo, owner: { login: opts.owner } } },
    created_at: p.created_at, updated_at: p.updated_at, closed_at: p.closed_at, merged_at: null,
  });
  const commentJson = (c: FakeComment) => ({
    id: c.id, body: c.body, user: { login: c.user, id: 1, type: 'Bot' }, created_at: c.created_at, updated_at: c.updated_at,
    html_url: `${htmlRepo()}/pull/${c.issue_number}#issuecomment-${c.id}`, issue_url: `${baseUrl}/repos/${opts.owner}/${opts.repo}/issues/${c.issue_number}`,
  });

  function authorized(req: IncomingMessage, apiPath: string): boolean {
    const h = req.headers.authorization ?? '';
    const m = /^(?:token|bearer)\s+(.+)$/i.exec(h);
    if (!m) return false;
    const cred = m[1]!;
    if (apiPath.startsWith('/app/')) return !!(appKey && opts.app && !verifyJwt(cred, appKey, String(opts.app.appId)));
    return cred === opts.token || issuedTokens.includes(cred);
  }

  function paginate<T>(items: T[], query: Record<string, string>, res: ServerResponse, pathForLinks: string): T[] {
    const perPage = Math.min(100, Number(query.per_page ?? 30));
    const page = Number(query.page ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    if (page < last) {
      const q = new URLSearchParams({ ...query, page: String(page + 1) });
      res.setHeader('link', `<${baseUrl}${pathForLinks}?${q}>; rel="next", <${baseUrl}${pathForLinks}?${new URLSearchParams({ ...query, page: String(last) })}>; rel="last"`);
    }
    return items.slice((page - 1) * perPage, page * perPage);
  }

  async function route(method: string, apiPath: string, params: Record<string, string>, opId: string, query: Record<string, string>, body: Json, res: ServerResponse): Promise<[number, unknown]> {
    if (params.owner !== undefined && (params.owner !== opts.owner || params.repo !== opts.repo)) return [404, { message: 'Not Found' }];
    switch (opId) {
      case 'apps/create-installation-access-token': {
        if (!opts.app || Number(params.installation_id) !== opts.app.installationId) return [404, { message: 'Not Found' }];
        const token = `ghs_${randomBytes(18).toString('hex')}`;
        issuedTokens.push(token);
        return [201, { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { contents: 'write', pull_requests: 'write' }, repository_selection: 'all' }];
      }
      case 'pulls/list': {
        const state = query.state ?? 'open';
        let list = pulls.filter((p) => state === 'all' || p.state === state);
        if (query.head) {
          const [o, ...rest] = query.head.split(':');
          const ref = rest.join(':');
          list = rest.length ? (o === opts.owner ? list.filter((p) => p.head === ref) : []) : list;
        }
        if (query.base) list = list.filter((p) => p.base === query.base);
        return [200, paginate(list, query, res, apiPath).map(pullJson)];
      }
      case 'pulls/create': {
        if (!body.title) return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'title', code: 'missing_field' }] }];
        const exists = opts.branchExists ?? (() => true);
        if (!(await exists(body.head))) return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] }];
        if (!(await exists(body.base))) return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }] }];
        if (pulls.some((p) => p.state === 'open' && p.head === body.head && p.base === body.base)) {
          return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${opts.owner}:${body.head}.` }] }];
        }
        const p: FakePull = { number: ++issueSeq, title: body.title, body: body.body ?? null, state: 'open', head: body.head, base: body.base, draft: !!body.draft, maintainer_can_modify: body.maintainer_can_modify ?? true, labels: [], created_at: now(), updated_at: now(), closed_at: null };
        pulls.push(p);
        return [201, pullJson(p)];
      }
      case 'pulls/get': {
        const p = pulls.find((x) => x.number === Number(params.pull_number));
        return p ? [200, pullJson(p)] : [404, { message: 'Not Found' }];
      }
      case 'pulls/update': {
        const p = pulls.find((x) => x.number === Number(params.pull_number));
        if (!p) return [404, { message: 'Not Found' }];
        if (body.title !== undefined) p.title = body.title;
        if (body.body !== undefined) p.body = body.body;
        if (body.base !== undefined) p.base = body.base;
        if (body.state === 'closed' && p.state === 'open') { p.state = 'closed'; p.closed_at = now(); }
        if (body.state === 'open' && p.state === 'closed') {
          if (pulls.some((x) => x !== p && x.state === 'open' && x.head === p.head)) return [422, { message: 'Validation Failed' }];
          p.state = 'open'; p.closed_at = null;
        }
        p.updated_at = now();
        return [200, pullJson(p)];
      }
      case 'issues/list-comments': {
        const list = comments.filter((c) => c.issue_number === Number(params.issue_number));
        return [200, paginate(list, query, res, apiPath).map(commentJson)];
      }
      case 'issues/create-comment': {
        const n = Number(params.issue_number);
        if (!pulls.some((p) => p.number === n)) return [404, { message: 'Not Found' }];
        const c: FakeComment = { id: ++commentSeq, issue_number: n, body: body.body, user: login, created_at: now(), updated_at: now() };
        comments.push(c);
        return [201, commentJson(c)];
      }
      case 'issues/update-comment': {
        const c = comments.find((x) => x.id === Number(params.comment_id));
        if (!c) return [404, { message: 'Not Found' }];
        c.body = body.body;
        c.updated_at = now();
        return [200, commentJson(c)];
      }
      case 'issues/add-labels': {
        const p = pulls.find((x) => x.number === Number(params.issue_number));
        if (!p) return [404, { message: 'Not Found' }];
        const names: string[] = Array.isArray(body) ? body : body.labels ?? [];
        for (const l of names) if (!p.labels.includes(typeof l === 'string' ? l : (l as Json).name)) p.labels.push(typeof l === 'string' ? l : (l as Json).name);
        return [200, p.labels.map((name, i) => ({ id: i + 1, name }))];
      }
      default:
        return [501, { message: `the fake does not implement ${opId}` }];
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const query = Object.fromEntries(url.searchParams.entries());
    let path = url.pathname;
    const rec: RecordedApiRequest = { method, path, query, body: undefined, errors: [], status: 0, authorization: req.headers.authorization, time: Date.now() };
    requests.push(rec);
    const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', ...headers });
      res.end(data === undefined ? '' : JSON.stringify(data));
    };
    if (prefix) {
      if (!path.startsWith(prefix + '/')) { rec.errors.push(`path outside ${prefix}`); return send(404, { message: 'Not Found' }); }
      path = path.slice(prefix.length);
    }
    rec.path = path;
    let body: unknown;
    if (raw.length) {
      try { body = JSON.parse(raw); } catch { rec.errors.push('body is not JSON'); return send(400, { message: 'Problems parsing JSON' }); }
    }
    rec.body = body;
    const v = validateRequest(method, path, query, body, raw.length > 0);
    rec.operationId = v.op?.op.operationId;
    if (v.errors.length) {
      rec.errors = v.errors;
      return send(v.status, { message: v.status === 404 ? 'Not Found' : 'Validation Failed', errors: v.errors, documentation_url: 'https://docs.github.com/rest' });
    }
    if (!authorized(req, path)) return send(401, { message: 'Bad credentials' });
    const limit = limits.find((l) => l.left > 0 && (!l.method || l.method === method) && (!l.path || (typeof l.path === 'string' ? l.path === path : l.path.test(path))));
    if (limit) {
      limit.left--;
      limited.push({ method, path, kind: limit.kind, time: Date.now() });
      if (limit.kind === 'primary') {
        const reset = Math.floor(Date.now() / 1000) + (limit.resetIn ?? 1);
        return send(limit.status ?? 403, { message: 'API rate limit exceeded for installation.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(reset) });
      }
      if (limit.kind === 'secondary') {
        return send(limit.status ?? 403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' }, { 'retry-after': String(limit.retryAfter ?? 1) });
      }
      if (limit.kind === 'server-error') return send(limit.status ?? 502, { message: 'Server Error' });
      return send(limit.status ?? 429, { message: 'Too Many Requests' }, { 'retry-after': String(limit.retryAfter ?? 1) });
    }
    const [status, data] = await route(method, path, v.params, rec.operationId ?? '', query, body, res);
    return send(status, data, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String((err as Error).message) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  baseUrl = url + prefix;
  return {
    url,
    baseUrl,
    requests,
    get invalidRequests() {
      return requests.filter((r) => r.errors.length > 0);
    },
    pulls,
    comments,
    issuedTokens,
    limited,
    injectRateLimit(l) {
      limits.push({ ...l, left: l.times ?? 1 });
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
