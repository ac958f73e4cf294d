import type { LogLevel } from '../log.ts';
import type { PassResult } from './pass.ts';

const RESYNC = /^watch resync\b/;

/**
 * How loudly `kspec run` logs a pass starting and finishing. A watch resyncs every few minutes
 * per target; a pass woken only by that which finds nothing to do is routine, so it is logged at
 * debug. Any other reason, any action taken or refused, and any failure stay at info.
 */
export function passLogLevel(reasons: string[], result?: PassResult): LogLevel {
  const routine = reasons.length > 0 && reasons.every((r) => RESYNC.test(r));
  if (!routine) return 'info';
  if (!result) return 'debug';
  const acted = result.specs.some((s) => s.actions.some((a) => a.action !== 'none' && a.action !== 'dry-run'));
  return result.ok && !acted ? 'debug' : 'info';
}
