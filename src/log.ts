// Structured logging: one JSON object per line on stderr, with levels and bound context.
//
//   import { logger, registerSecret } from './log.ts';
//   registerSecret(process.env.KSPEC_GIT_TOKEN ?? '');
//   const log = logger.child({ cluster: 'prod', spec: 'baseline', commit: sha });
//   log.info('pass finished', { durationMs: 1234 });
//   // {"time":"…","level":"info","msg":"pass finished","cluster":"prod","spec":"baseline","commit":"…","durationMs":1234}
//
// Every line goes through a redaction guard before it is written: values under keys that name
// credentials (token, password, secret, authorization, …), strings that look like credentials
// (`Bearer …`, `user:pass@` in URLs, `token=…` query parameters, GitHub tokens, JWTs, PEM private
// keys) and every value registered with registerSecret() are replaced by "[REDACTED]".

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose every line also carries `fields` (e.g. {cluster, spec, commit}). */
  child(fields: LogFields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
  /** Changes the level of this logger and of every logger that shares its root. */
  setLevel(level: LogLevel): void;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  /** Defaults to KSPEC_LOG_LEVEL, then 'info'. */
  level?: LogLevel;
  /** Receives one complete line (JSON + '\n'). Defaults to process.stderr. */
  sink?: (line: string) => void;
  /** Fields on every line. */
  fields?: LogFields;
  /** Clock, for tests. */
  now?: () => Date;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const REDACTED = '[REDACTED]';

/** Parses a level name (case-insensitive; 'warning' and 'err' accepted); undefined when unknown. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'warning') return 'warn';
  if (v === 'err' || v === 'fatal') return 'error';
  if (v === 'trace') return 'debug';
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : undefined;
}

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
  // userinfo in URLs: scheme://user:password@host  or scheme://token@host
  { re: /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:'"]+(?::[^\s/@'"]*)?@/gi, replace: (_m, scheme) => `${scheme}${REDACTED}@` },
  // GitHub tokens (classic and fine-grained), GitLab, Slack, AWS access keys
  { re: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, replace: REDACTED },
  { re: /\bglpat-[A-Za-z0-9\-_]{20,}\b/g, replace: REDACTED },
  { re: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, replace: REDACTED },
  { re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  // JWTs (Kubernetes ServiceAccount tokens, OIDC id tokens)
  { re: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, replace: REDACTED },
  // key=value / key: value / "key":"value" pairs in free text, query strings, YAML and JSON
  {
    re: /((?:access_token|refresh_token|id_token|private_token|client_secret|api[_-]?key|apikey|password|passwd|pwd|secret|token|auth|sig|signature)["']?\s*(?:=|:)\s*["']?)([^\s"'&,;}]+)/gi,
    replace: (_m, prefix) => `${prefix}${REDACTED}`,
  },
];

/** Masks credentials and registered secrets in a string. */
export function redactString(input: string): string {
  let out = input;
  for (const s of sortedSecrets()) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
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

// ---------------------------------------------------------------------------------------------
// Logger

interface Core {
  level: LogLevel;
  sink: (line: string) => void;
  now: () => Date;
}

const RESERVED = new Set(['time', 'level', 'msg']);

class JsonLogger implements Logger {
  readonly #core: Core;
  readonly #fields: LogFields;

  constructor(core: Core, fields: LogFields) {
    this.#core = core;
    this.#fields = fields;
  }

  get level(): LogLevel {
    return this.#core.level;
  }

  setLevel(level: LogLevel): void {
    this.#core.level = level;
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.#core.level];
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.#core, { ...this.#fields, ...fields });
  }

  debug(msg: string, fields?: LogFields): void {
    this.#write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#write('error', msg, fields);
  }

  #write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (!this.isLevelEnabled(level)) return;
    let line: string;
    try {
      line = formatLine(this.#core.now(), level, msg, this.#fields, fields);
    } catch (err) {
      // Never let a log call throw into the caller.
      line = JSON.stringify({ time: new Date().toISOString(), level, msg: redactString(String(msg)), logError: String(err) }) + '\n';
    }
    try {
      this.#core.sink(line);
    } catch {
      // A closed stderr must not crash the operator.
    }
  }
}

function formatLine(now: Date, level: LogLevel, msg: string, bound: LogFields, fields: LogFields | undefined): string {
  const record: Record<string, unknown> = { time: now.toISOString(), level, msg: redactString(String(msg)) };
  const merged = { ...bound, ...(fields ?? {}) };
  const clean = redact(merged) as Record<string, unknown>;
  for (const [k, v] of Object.entries(clean)) {
    record[RESERVED.has(k) ? `field.${k}` : k] = v;
  }
  return JSON.stringify(record) + '\n';
}

/** Creates an independent logger (its own level and sink). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const core: Core = {
    level: options.level ?? parseLogLevel(process.env.KSPEC_LOG_LEVEL) ?? 'info',
    sink: options.sink ?? ((line) => void process.stderr.write(line)),
    now: options.now ?? (() => new Date()),
  };
  return new JsonLogger(core, { ...(options.fields ?? {}) });
}

/** The process-wide logger: level from KSPEC_LOG_LEVEL (default info), lines to stderr. */
export const logger: Logger = createLogger();

/** A logger that drops everything (default for library code called without one). */
export const nullLogger: Logger = createLogger({ level: 'error', sink: () => {} });
