// The logger write-back reports through: any object with these methods (the program's logger,
// or a test's), wrapped so that what write-back says passes the program's redactor first.
import { redact, redactString } from '../redact.ts';

export interface Logger {
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export function redactingLogger(inner: Logger): Logger {
  const fields = (f?: Record<string, unknown>) => (f ? (redact(f) as Record<string, unknown>) : undefined);
  return {
    debug: (m, f) => inner.debug?.(redactString(m), fields(f)),
    info: (m, f) => inner.info(redactString(m), fields(f)),
    warn: (m, f) => inner.warn(redactString(m), fields(f)),
    error: (m, f) => inner.error(redactString(m), fields(f)),
  };
}
