/**
 * Keeps secrets out of logs, errors, reports and commit messages: every string that leaves
 * write-back goes through a Redactor that knows the secrets in use.
 */

export interface Logger {
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Credentials in URLs (scheme://user:pass@host) and common token shapes. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi;
const TOKEN_SHAPES = /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|v1\.[0-9a-f]{40})\b/g;
/** `Authorization: Basic|Bearer|token <value>` as it appears in dumped requests. */
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?(?:basic|bearer|token)\s+)[A-Za-z0-9._~+/=-]{8,}/gi;

export class Redactor {
  #secrets = new Set<string>();

  add(secret: string | undefined | null): void {
    if (secret && secret.length >= 4) {
      this.#secrets.add(secret);
      // The Basic-auth forms a secret travels in.
      this.#secrets.add(Buffer.from(secret).toString('base64'));
    }
  }

  addBasic(username: string, password: string): void {
    this.add(password);
    this.#secrets.add(Buffer.from(`${username}:${password}`).toString('base64'));
  }

  redact(text: string): string {
    let out = text;
    for (const s of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (s.length >= 4) out = out.split(s).join('[REDACTED]');
    }
    return out
      .replace(URL_USERINFO, '$1[REDACTED]@')
      .replace(TOKEN_SHAPES, '[REDACTED]')
      .replace(AUTH_HEADER, '$1[REDACTED]');
  }

  /** An Error safe to throw or log: message and stack redacted, no attached request/headers. */
  error(err: unknown, context?: string): Error {
    const e = err as { message?: string; code?: string; status?: number; name?: string };
    const msg = this.redact(`${context ? `${context}: ` : ''}${e?.message ?? String(err)}`);
    const out = new Error(msg) as Error & { code?: string; status?: number };
    if (e?.code) out.code = e.code;
    if (typeof e?.status === 'number') out.status = e.status;
    if (e?.name && e.name !== 'Error') out.name = e.name;
    return out;
  }

  logger(inner: Logger): Logger {
    const r = (fields?: Record<string, unknown>) =>
      fields ? (JSON.parse(this.redact(JSON.stringify(fields))) as Record<string, unknown>) : undefined;
    return {
      debug: (m, f) => inner.debug?.(this.redact(m), r(f)),
      info: (m, f) => inner.info(this.redact(m), r(f)),
      warn: (m, f) => inner.warn(this.redact(m), r(f)),
      error: (m, f) => inner.error(this.redact(m), r(f)),
    };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Exponential backoff with full jitter. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}
