// Flags of the commands that talk to a cluster. Only the tables: help and completion read them
// without loading the Kubernetes client (management-cluster.ts turns them into a KubeConfig).
import type { FlagSpec } from './command.ts';
import { DEFAULT_KUBE_API_LIMITS, DEFAULT_REQUEST_TIMEOUT_MS } from '../cluster/request-limiter.ts';
import { renderFlags, servingFlags, sourceFlags } from './common-flags.ts';

export const clusterFlags = {
  kubeconfig: { type: 'string', value: 'FILE', description: 'Kubeconfig of the management cluster (default: $KUBECONFIG, ~/.kube/config, then in-cluster)' },
  context: { type: 'string', value: 'NAME', description: "Kubeconfig context to use (default: the kubeconfig's current context)" },
  namespace: { type: 'string', short: 'n', value: 'NS', default: 'kspec-system', description: "Namespace of kspec's own objects: applied specs and targets, mirrors, reports, Leases" },
  'kube-api-qps': { type: 'string', value: 'N', default: String(DEFAULT_KUBE_API_LIMITS.qps), description: 'Requests per second sent to each API server, on average' },
  'kube-api-burst': { type: 'string', value: 'N', default: String(DEFAULT_KUBE_API_LIMITS.burst), description: 'Requests that may go to each API server at once, above --kube-api-qps' },
  'request-timeout': { type: 'string', value: 'DURATION', default: `${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s`, description: 'Deadline of every API call (watches excepted): a paused or unreachable API server fails the pass instead of holding it' },
} satisfies Record<string, FlagSpec>;

/** What every command that runs a pass (plan, reconcile, run) takes: where specs come from, the cluster, what is served and rendered. */
export const passFlags = { ...sourceFlags, ...clusterFlags, ...servingFlags, ...renderFlags } satisfies Record<string, FlagSpec>;
