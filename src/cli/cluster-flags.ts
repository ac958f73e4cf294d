// Flags of the commands that talk to a cluster. Apart from common-flags.ts, so that commands which
// never reach a cluster (validate, render, test, scan) never load the Kubernetes client.
import type { KubeConfig } from '@kubernetes/client-node';
import type { FlagSpec } from './command.ts';
import { UsageError } from './command.ts';
import { loadKubeConfig } from '../cluster/kubeconfig.ts';
import { DEFAULT_KUBE_API_LIMITS, setKubeApiLimits } from '../cluster/request-limiter.ts';
import { renderFlags, servingFlags, sourceFlags } from './common-flags.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, setKubeRequestTimeout } from '../cluster/timed-kubeconfig.ts';
import { parseDuration } from '../engine/duration.ts';

export const clusterFlags = {
  kubeconfig: { type: 'string', value: 'FILE', description: 'Kubeconfig of the management cluster (default: $KUBECONFIG, ~/.kube/config, then in-cluster)' },
  context: { type: 'string', value: 'NAME', description: "Kubeconfig context to use (default: the kubeconfig's current context)" },
  namespace: { type: 'string', short: 'n', value: 'NS', default: 'kspec-system', description: "Namespace of kspec's own objects: applied specs and targets, mirrors, reports, Leases" },
  'kube-api-qps': { type: 'string', value: 'N', default: String(DEFAULT_KUBE_API_LIMITS.qps), description: 'Requests per second sent to each API server, on average' },
  'kube-api-burst': { type: 'string', value: 'N', default: String(DEFAULT_KUBE_API_LIMITS.burst), description: 'Requests that may go to each API server at once, above --kube-api-qps' },
  'request-timeout': { type: 'string', value: 'DURATION', default: `${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s`, description: 'Deadline of every API call (watches excepted): a paused or unreachable API server fails the pass instead of holding it' },
} satisfies Record<string, FlagSpec>;

/**
 * The management cluster's kubeconfig. Also sets the client-side limits (--kube-api-qps,
 * --kube-api-burst) that every API server kspec then talks to gets, each its own, and the
 * deadline of every API call (--request-timeout).
 */
export function kubeConfig(flags: { kubeconfig?: string; context?: string; 'kube-api-qps'?: string; 'kube-api-burst'?: string; 'request-timeout'?: string }, env: NodeJS.ProcessEnv): KubeConfig {
  const qps = Number(flags['kube-api-qps'] ?? DEFAULT_KUBE_API_LIMITS.qps);
  const burst = Number(flags['kube-api-burst'] ?? DEFAULT_KUBE_API_LIMITS.burst);
  if (!(qps > 0)) throw new UsageError(`--kube-api-qps takes a number of requests per second above 0, not ${JSON.stringify(flags['kube-api-qps'])}`);
  if (!(Number.isInteger(burst) && burst >= 1)) throw new UsageError(`--kube-api-burst takes a whole number of requests, 1 or more, not ${JSON.stringify(flags['kube-api-burst'])}`);
  setKubeApiLimits({ qps, burst });
  const timeout = parseDuration(flags['request-timeout'] ?? `${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s`);
  if (timeout === null || timeout <= 0) throw new UsageError(`--request-timeout takes a duration such as 30s or 2m, not ${JSON.stringify(flags['request-timeout'])}`);
  setKubeRequestTimeout(timeout * 1000);
  return loadKubeConfig({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.context ? { context: flags.context } : {}), env });
}

/** What every command that runs a pass (plan, reconcile, run) takes: where specs come from, the cluster, what is served and rendered. */
export const passFlags = { ...sourceFlags, ...clusterFlags, ...servingFlags, ...renderFlags } satisfies Record<string, FlagSpec>;
