// The one redactor of the program. Everything kspec writes where a person or another system can
// read it (logs, error messages, CLI output, reports, commits, pull request text, Events, metric
// labels) passes through it; there is no second list of secrets or patterns anywhere else.
//
// What it masks, as "[REDACTED]":
// - every value registered with registerSecret() (Git tokens, GitHub tokens and App keys, URL
//   passwords, webhook secrets, kubeconfig tokens), also in its base64 and URL-encoded forms, and
//   the Basic-auth header value of a registered user:password (registerBasicAuth);
// - credentials in URLs: `scheme://user:pass@host` and credential query parameters
//   (`?access_token=`, `&private_token=`, `sig=`, AWS pre-signed parameters, ...);
// - in logs and error messages also text that looks like a credential (`Bearer …`, `token=…`,
//   GitHub and GitLab tokens, JWTs, PEM private keys) and values under keys that name one.
//
// redactSecrets() is the narrow form for command output (rendered policies, tables, reports),
// where a `password:` key is content, not a credential; redactString() is the broad form for
// logs and errors.

export const REDACTED = '[REDACTED]';

/**
 * Query parameters that carry credentials. A repository URL given with one of them has it taken
 * out (src/source/repo-url.ts): the value becomes the HTTP password instead of part of the URL.
 */
export const CREDENTIAL_QUERY_PARAMS = /^(?:access_token|private_token|oauth_token|refresh_token|id_token|job_token|token|auth|api[_-]?key|key|password|passwd|secret|client_secret|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

const CREDENTIAL_QUERY = /([?&;](?:access_token|private_token|oauth_token|refresh_token|id_token|job_token|token|auth|api[_-]?key|key|password|passwd|secret|client_secret|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&#\s"'<>]+/gi;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:'"]+(?::[^\s/@'"]*)?@/gi;

// ---------------------------------------------------------------------------------------------
// Secrets registry

const secrets = new Set<string>();
/** Values shorter than this are not registered: masking "a" everywhere would shred the logs. */
const MIN_SECRET_LENGTH = 4;

/**
 * Registers a secret value (a Git token, a password, a kubeconfig's token) so that it is masked
 * wherever it appears in a log line, also in its base64 and URL-encoded forms. Empty and very
 * short values are ignored.
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length < MIN_SECRET_LENGTH) return;
  secrets.add(v);
  const b64 = Buffer.from(v, 'utf8').toString('base64');
  if (b64.length >= MIN_SECRET_LENGTH) {
    secrets.add(b64);
    // base64 without padding, as it appears in the middle of longer encodings
    secrets.add(b64.replace(/=+$/, ''));
  }
  const enc = encodeURIComponent(v);
  if (enc !== v) secrets.add(enc);
  secretsSorted = null;
}

/** Registers a password and the Basic-auth value (`base64(user:password)`) it is sent in. */
export function registerBasicAuth(username: string, password: string | undefined | null): void {
  if (!password || password.length < MIN_SECRET_LENGTH) return;
  registerSecret(password);
  secrets.add(Buffer.from(`${username}:${password}`).toString('base64'));
  secretsSorted = null;
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
  secretsSorted = null;
}

let secretsSorted: string[] | null = null;
function sortedSecrets(): string[] {
  // Longest first so that a secret containing another one is masked whole.
  secretsSorted ??= [...secrets].sort((a, b) => b.length - a.length);
  return secretsSorted;
}

// ---------------------------------------------------------------------------------------------
// Redaction

/** Key names whose values are always masked (compared lowercased, without `-`, `_`, `.`). */
const SENSITIVE_KEY_SUFFIXES = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'proxyauthorization',
  'credential',
  'credentials',
  'privatekey',
  'clientkey',
  'clientkeydata',
  'cookie',
  'setcookie',
  'bearer',
  'sessionid',
  'signature',
  'hubsignature256',
];

/** True when a field of this name holds a credential (`gitToken`, `client_secret`, `Authorization`…). */
export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.\s]/g, '');
  return SENSITIVE_KEY_SUFFIXES.some((s) => k === s || k.endsWith(s));
}

interface Pattern {
  re: RegExp;
  replace: string | ((substring: string, ...args: string[]) => string);
}

const PATTERNS: Pattern[] = [
  // PEM private keys (RSA, EC, OPENSSH, PKCS#8, encrypted)
  {
    re: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    replace: REDACTED,
  },
  // HTTP auth schemes
  // (Bearer in any case; Basic and Token only capitalized and long enough not to eat prose)
  { re: /\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, replace: (_m, scheme) => `${scheme} ${REDACTED}` },
  { re: /\b(Basic)\s+[A-Za-z0-9+/]{8,}=*/g, replace: (_m, scheme) => `${scheme} ${REDACTED}` },
  { re: /\b(Token)\s+[A-Za-z0-9\-._~+/]{16,}=*/g, replace: (_m, scheme) => `${scheme} ${REDACTED}` },
  // `Authorization: basic|bearer|token <value>` as it appears in dumped requests, in any case
  { re: /\b(authorization["']?\s*[:=]\s*["']?(?:basic|bearer|token)\s+)[A-Za-z0-9._~+/=-]{8,}/gi, replace: (_m, prefix) => `${prefix}${REDACTED}` },
  // GitHub tokens (classic and fine-grained), GitLab, Slack, AWS access keys
  { re: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, replace: REDACTED },
  // GitHub App installation tokens of the older shape
  { re: /\bv1\.[0-9a-f]{40}\b/g, replace: REDACTED },
  { re: /\bglpat-[A-Za-z0-9\-_]{20,}\b/g, replace: REDACTED },
  { re: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, replace: REDACTED },
  { re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  // JWTs (Kubernetes ServiceAccount tokens, OIDC id tokens)
  { re: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, replace: REDACTED },
  // key=value / key: value / "key":"value" pairs in free text, query strings, YAML and JSON
  // (booleans and null are settings, not credentials: `automountServiceAccountToken: false`)
  {
    re: /((?:access_token|refresh_token|id_token|private_token|client_secret|api[_-]?key|apikey|password|passwd|pwd|secret|token|auth|sig|signature)["']?\s*(?:=|:)\s*["']?)(?!(?:true|false|null)\b)([^\s"'&,;}]+)/gi,
    replace: (_m, prefix) => `${prefix}${REDACTED}`,
  },
];

/**
 * Masks registered secrets and URL credentials (userinfo, credential query parameters): safe for
 * any output, since it touches nothing but what is certainly a secret.
 */
export function redactSecrets(input: string): string {
  let out = input;
  for (const s of sortedSecrets()) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  URL_USERINFO.lastIndex = 0;
  CREDENTIAL_QUERY.lastIndex = 0;
  return out.replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`).replace(CREDENTIAL_QUERY, (_m, prefix: string) => `${prefix}${REDACTED}`);
}

/** Masks credentials, registered secrets and text that looks like a credential: for logs and errors. */
export function redactString(input: string): string {
  let out = redactSecrets(input);
  for (const p of PATTERNS) {
    p.re.lastIndex = 0;
    out = out.replace(p.re, p.replace as (substring: string, ...args: string[]) => string);
  }
  return out;
}

const MAX_DEPTH = 8;
const MAX_STRING = 16 * 1024;
const MAX_ARRAY = 200;

/**
 * Returns a JSON-safe copy of `value` with credentials masked: sensitive keys, credential-like
 * strings and registered secrets. Handles Errors (name, message, code, stack, cause), cycles,
 * BigInt, Map, Set, Date, Buffer and depth.
 */
export function redact(value: unknown): unknown {
  return redactValue(value, 0, new WeakSet());
}

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string': {
      const s = value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[truncated ${value.length - MAX_STRING} chars]` : value;
      return redactString(s);
    }
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return undefined;
  }
  const obj = value as object;
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (Buffer.isBuffer(obj) || obj instanceof Uint8Array) return `[${obj.byteLength} bytes]`;
  if (seen.has(obj)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  seen.add(obj);
  try {
    if (obj instanceof Error) return redactError(obj, depth, seen);
    if (Array.isArray(obj)) {
      const arr = obj.slice(0, MAX_ARRAY).map((v) => redactValue(v, depth + 1, seen));
      if (obj.length > MAX_ARRAY) arr.push(`…[${obj.length - MAX_ARRAY} more]`);
      return arr;
    }
    if (obj instanceof Map) {
      const o: Record<string, unknown> = {};
      for (const [k, v] of obj) redactField(o, String(k), v, depth, seen);
      return o;
    }
    if (obj instanceof Set) return [...obj].slice(0, MAX_ARRAY).map((v) => redactValue(v, depth + 1, seen));
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) redactField(o, k, v, depth, seen);
    return o;
  } finally {
    seen.delete(obj);
  }
}

function redactField(out: Record<string, unknown>, key: string, v: unknown, depth: number, seen: WeakSet<object>): void {
  if (v === undefined || typeof v === 'function') return;
  if (isSensitiveKey(key) && v !== null && v !== '' && typeof v !== 'boolean') {
    out[key] = REDACTED;
    return;
  }
  out[key] = redactValue(v, depth + 1, seen);
}

function redactError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const o: Record<string, unknown> = { name: err.name, message: redactString(err.message) };
  const extra = err as Error & { code?: unknown; statusCode?: unknown; cause?: unknown };
  if (extra.code !== undefined) o.code = redactValue(extra.code, depth + 1, seen);
  if (extra.statusCode !== undefined) o.statusCode = redactValue(extra.statusCode, depth + 1, seen);
  if (err.stack) o.stack = redactString(err.stack);
  if (extra.cause !== undefined) o.cause = redactValue(extra.cause, depth + 1, seen);
  // Client libraries hang request options (with Authorization headers) on errors: these go
  // through the key-based guard like any other field.
  for (const [k, v] of Object.entries(err)) {
    if (k in o || k === 'stack' || k === 'message') continue;
    redactField(o, k, v, depth, seen);
  }
  return o;
}

/** A copy of a JSON-like value with redactSecrets() applied to every string in it (reports, specs' status). */
export function redactSecretsIn<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactSecretsIn(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecretsIn(v)])) as T;
  }
  return value;
}

/**
 * An Error that is safe to throw on, log or print: its message redacted (with `context` before
 * it), no stack, and none of the request options (headers with credentials) client libraries hang
 * on errors; `code`, `status` and `name` are kept for callers that branch on them.
 */
export function safeError(err: unknown, context?: string): Error {
  const e = err as { message?: string; code?: string; status?: number; name?: string } | undefined;
  const out = new Error(redactString(`${context ? `${context}: ` : ''}${e?.message ?? String(err)}`)) as Error & { code?: string; status?: number };
  if (e?.code) out.code = e.code;
  if (typeof e?.status === 'number') out.status = e.status;
  if (e?.name && e.name !== 'Error') out.name = e.name;
  return out;
}
