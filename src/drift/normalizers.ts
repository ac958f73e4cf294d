/**
 * The normalizer table: differences between what kspec applies and what the API server and
 * Kyverno hand back that are not drift. Each entry says why it exists. Comparison is already
 * desired-driven (fields only the live object has are set by others and ignored, see
 * compare.ts); these entries cover what remains: values that are rewritten, and list items
 * that are added.
 */

type Json = unknown;

export interface Normalizer {
  name: string;
  why: string;
  /** Returns the live value to compare against `desired` at `path`. */
  live(path: string, desired: Json, live: Json): Json;
}

const FAILURE_ACTION_PATH = /^spec\.(validationFailureAction|rules\[\d+\]\.validate\.failureAction)$/;

export const NORMALIZERS: Normalizer[] = [
  {
    name: 'autogen rules in spec.rules',
    why: 'Kyverno before 1.10 wrote the rules it generates for Pod controllers (autogen-<rule>, autogen-cronjob-<rule>) into spec.rules; 1.10+ keeps them in status.autogen.',
    live(path, desired, live) {
      if (path !== 'spec.rules' || !Array.isArray(desired) || !Array.isArray(live)) return live;
      const desiredNames = new Set(desired.map((rule) => (rule as { name?: string })?.name));
      return live.filter((rule) => {
        const name = (rule as { name?: string })?.name ?? '';
        return !name.startsWith('autogen-') || desiredNames.has(name);
      });
    },
  },
  {
    name: 'failure action casing',
    why: 'Kyverno accepts audit/Audit and enforce/Enforce alike; older releases lower-case them.',
    live(path, desired, live) {
      if (!FAILURE_ACTION_PATH.test(path) || typeof desired !== 'string' || typeof live !== 'string') return live;
      return live.toLowerCase() === desired.toLowerCase() ? desired : live;
    },
  },
];

export function normalizeLive(path: string, desired: Json, live: Json): Json {
  return NORMALIZERS.reduce((value, normalizer) => normalizer.live(path, desired, value), live);
}
