// How a command that logs (plan, reconcile, run) is told the level and format of its log lines.
// Logs always go to stderr, so stdout carries only the command's output and can be piped.
import type { CommandIO, FlagSpec } from './command.ts';
import { oneOf, UsageError } from './command.ts';
import { createLogger, LOG_FORMATS, LOG_LEVELS, parseLogLevel } from '../log.ts';
import type { Logger } from '../log.ts';

export function logFlags(defaultLevel: 'info' | 'warn') {
  return {
    'log-level': { type: 'string', value: 'LEVEL', values: LOG_LEVELS, default: defaultLevel, description: 'Least severe log lines written' },
    'log-format': { type: 'string', value: 'FORMAT', values: LOG_FORMATS, description: 'Log lines as text or JSON (default: text on a terminal, JSON lines otherwise)' },
  } satisfies Record<string, FlagSpec>;
}

export function commandLogger(flags: { 'log-level'?: string; 'log-format'?: string }, io: CommandIO): Logger {
  const level = parseLogLevel(flags['log-level']);
  if (!level) throw new UsageError(`--log-level must be ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(flags['log-level'])}`);
  const format = flags['log-format'] === undefined ? (io.stderrIsTTY ? 'text' : 'json') : oneOf('--log-format', flags['log-format'], LOG_FORMATS);
  return createLogger({ level, format, sink: io.stderr });
}
