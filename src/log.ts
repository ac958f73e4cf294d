// Structured logging: one line per event on stderr, with levels and bound context. Lines are JSON
// objects (for log collectors), or `time LEVEL message key=value ...` for a person at a terminal.
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
export type LogFormat = 'json' | 'text';
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
  /** Receives one complete line (ending in '\n'). Defaults to process.stderr. */
  sink?: (line: string) => void;
  /**
   * Defaults to KSPEC_LOG_FORMAT, then text when the default sink (stderr) is a terminal, JSON
   * otherwise. A given sink gets JSON unless told.
   */
  format?: LogFormat;
  /** Fields on every line. */
  fields?: LogFields;
  /** Clock, for tests. */
  now?: () => Date;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Parses a level name (case-insensitive; 'warning' and 'err' accepted); undefined when unknown. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'warning') return 'warn';
  if (v === 'err' || v === 'fatal') return 'error';
  if (v === 'trace') return 'debug';
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : undefined;
}

/** Parses a log format name (case-insensitive); undefined when unknown. */
export function parseLogFormat(value: string | undefined): LogFormat | undefined {
  const v = value?.trim().toLowerCase();
  return (LOG_FORMATS as readonly string[]).includes(v ?? '') ? (v as LogFormat) : undefined;
}

// Redaction lives in one place for the whole program (src/redact.ts); the logger applies it to
// every line, and re-exports what callers used to import from here.
import { redact, redactString } from './redact.ts';
import { terminalSafeCell } from './util/terminal-text.ts';
export { clearSecrets, isSensitiveKey, redact, redactString, REDACTED, registerSecret } from './redact.ts';

// ---------------------------------------------------------------------------------------------
// Logger

interface Core {
  level: LogLevel;
  sink: (line: string) => void;
  format: LogFormat;
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
      line = (this.#core.format === 'text' ? textLine : jsonLine)(this.#core.now(), level, msg, this.#fields, fields);
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

function jsonLine(now: Date, level: LogLevel, msg: string, bound: LogFields, fields: LogFields | undefined): string {
  const record: Record<string, unknown> = { time: now.toISOString(), level, msg: redactString(String(msg)) };
  const merged = { ...bound, ...(fields ?? {}) };
  const clean = redact(merged) as Record<string, unknown>;
  for (const [k, v] of Object.entries(clean)) {
    record[RESERVED.has(k) ? `field.${k}` : k] = v;
  }
  return JSON.stringify(record) + '\n';
}

/**
 * `17:01:02 WARN  cannot reach target  cluster=prod error="connect ECONNREFUSED"`: the same
 * redacted fields as the JSON line, quoted when they hold spaces, quotes or `=`, and with control
 * characters made visible, as everything printed to a terminal.
 */
function textLine(now: Date, level: LogLevel, msg: string, bound: LogFields, fields: LogFields | undefined): string {
  const clean = redact({ ...bound, ...(fields ?? {}) }) as Record<string, unknown>;
  const pairs = Object.entries(clean).map(([k, v]) => `${k}=${textValue(v)}`);
  const time = [now.getHours(), now.getMinutes(), now.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const head = `${time} ${level.toUpperCase().padEnd(5)} ${terminalSafeCell(redactString(String(msg)))}`;
  return terminalSafeCell(pairs.length ? `${head}  ${pairs.join(' ')}` : head) + '\n';
}

function textValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return /^[^\s"'=\\]+$/.test(text) ? text : JSON.stringify(text);
}

/** Creates an independent logger (its own level, format and sink). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const core: Core = {
    level: options.level ?? parseLogLevel(process.env.KSPEC_LOG_LEVEL) ?? 'info',
    sink: options.sink ?? ((line) => void process.stderr.write(line)),
    format: options.format ?? parseLogFormat(process.env.KSPEC_LOG_FORMAT) ?? (!options.sink && process.stderr.isTTY ? 'text' : 'json'),
    now: options.now ?? (() => new Date()),
  };
  return new JsonLogger(core, { ...(options.fields ?? {}) });
}

/** The process-wide logger: level from KSPEC_LOG_LEVEL (default info), format as createLogger's, lines to stderr. */
export const logger: Logger = createLogger();

/** A logger that drops everything (default for library code called without one). */
export const nullLogger: Logger = createLogger({ level: 'error', sink: () => {} });
