// Label values of kspec's metrics, kept apart from the metrics themselves (metrics.ts) so that
// the pass can name them without loading prom-client: `kspec reconcile` runs one pass and has no
// /metrics to serve, so it records into no metrics at all.
import { DRIFT_TYPES } from '../api/schemas.ts';

/** kspec_policies{state}: a policy in sync, or one of the drift types. */
export const POLICY_STATES = ['in_sync', ...DRIFT_TYPES] as const;

/** The labels of kspec_policy_violations and kspec_policy_violations_total. */
export type ViolationLabel = 'cluster' | 'spec' | 'policy' | 'severity';
