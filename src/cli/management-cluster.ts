// The management cluster a command talks to, from the flags of cluster-flags.ts.
import type { KubeConfig } from '../cluster/kube-config.ts';
import { UsageError } from './command.ts';
import { loadKubeConfig } from '../cluster/kubeconfig.ts';
import { DEFAULT_KUBE_API_LIMITS, DEFAULT_REQUEST_TIMEOUT_MS, setKubeApiLimits } from '../cluster/request-limiter.ts';
import { setKubeRequestTimeout } from '../cluster/kube-config.ts';
import { parseDuration } from '../engine/duration.ts';

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
