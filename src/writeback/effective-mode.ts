import type { WriteBackMode } from '../api/types.ts';

/** A spec's own spec.writeBack, else the installation's mode. */
export function effectiveMode(installation: WriteBackMode, spec?: WriteBackMode): WriteBackMode {
  return spec ?? installation;
}
