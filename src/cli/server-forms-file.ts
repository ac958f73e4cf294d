// Where `reconcile` and `plan` keep the server forms they learned, between runs: in the
// cache folder (--cache-dir, default ~/.cache/kspec), next to the Git clones.
import { join } from 'node:path';
import type { ServerFormCache } from '../cluster/server-form.ts';
import type { Logger } from '../log.ts';

export function serverFormsFile(cacheDir: string): string {
  return join(cacheDir, 'server-forms.json');
}

/** Saves the forms for the next run; a cache that cannot be written costs dry runs, nothing else. */
export function saveServerForms(forms: ServerFormCache, cacheDir: string, log: Logger): void {
  try {
    forms.save(serverFormsFile(cacheDir));
  } catch (err) {
    log.warn('cannot save the server forms for the next run', { error: (err as Error).message });
  }
}
