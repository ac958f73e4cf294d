// Flags of the commands that talk to a cluster. Apart from common-flags.ts, so that commands which
// never reach a cluster (validate, render, test, scan) never load the Kubernetes client.
import type { KubeConfig } from '@kubernetes/client-node';
import type { FlagSpec } from './command.ts';
import { loadKubeConfig } from '../cluster/kubeconfig.ts';

export const clusterFlags = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n', default: 'kspec-system' },
} satisfies Record<string, FlagSpec>;

export function kubeConfig(flags: { kubeconfig?: string; context?: string }): KubeConfig {
  return loadKubeConfig({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.context ? { context: flags.context } : {}) });
}
