import type { Command, FlagSpec } from '../command.ts';
import { clusterFlags } from '../cluster-flags.ts';

export const flagSpec = {
  'target-kubeconfig': { type: 'string', value: 'FILE', description: "Kubeconfig that reaches the cluster being added (default: $KUBECONFIG, then ~/.kube/config)" },
  'target-context': { type: 'string', value: 'NAME', description: "Context of --target-kubeconfig for the cluster being added (default: its current context)" },
  'target-server': { type: 'string', value: 'URL', description: "API server address kspec's pod uses for the cluster, when it differs from the kubeconfig's" },
  platform: { type: 'string', value: 'NAME', description: 'spec.platform of the ClusterTarget: eks, gke, aks, kind, ...' },
  'create-service-account': { type: 'boolean', description: "Create a ServiceAccount with kspec's least-privilege ClusterRole on the cluster and store its token, not your credentials" },
  'service-account': { type: 'string', value: 'NAME', default: 'kspec-target', description: 'Name of that ServiceAccount, its ClusterRole and ClusterRoleBinding' },
  'service-account-namespace': { type: 'string', value: 'NS', default: 'kube-system', description: 'Namespace of that ServiceAccount and its token Secret on the cluster' },
  'token-timeout': { type: 'string', value: 'SECONDS', default: '60', description: "How long to wait for the cluster's token controller to fill the ServiceAccount's token" },
  apply: { type: 'boolean', description: 'Apply the ClusterTarget and its Secret to the management cluster instead of printing them' },
  output: { type: 'string', short: 'o', value: 'FORMAT', values: ['yaml', 'json'], default: 'yaml', description: 'Format of the printed objects' },
  ...clusterFlags,
} satisfies Record<string, FlagSpec>;

/**
 * `kspec target add NAME`: a ClusterTarget for a remote cluster and the Secret holding the
 * kubeconfig kspec reaches it with, printed (to apply or review) or applied to kspec's namespace
 * of the management cluster, as `argocd cluster add` registers a cluster.
 */
const target: Command = {
  name: 'target',
  usage: 'kspec target add NAME [--target-kubeconfig FILE] [--target-context NAME] [--create-service-account] [--apply] [flags]',
  flags: flagSpec,
  arguments: ['add'],
  examples: [
    { what: 'Print the ClusterTarget and kubeconfig Secret for the prod context of your kubeconfig', command: 'kspec target add prod --target-context prod-admin' },
    { what: 'Give kspec its own least-privilege ServiceAccount on the cluster, and apply both objects to the management cluster', command: 'kspec target add prod --target-context prod-admin --create-service-account --apply --context mgmt' },
    { what: 'A kind cluster, which kspec reaches by its container name', command: 'kspec target add dev --target-context kind-dev --target-server https://dev-control-plane:6443 --create-service-account' },
  ],
  async run(argv, io) {
    // What the command does is loaded only when it runs: help and completion read the flags above
    // without loading the Kubernetes client.
    return (await import('./run-target.ts')).runTarget(argv, io);
  },
};

export default target;
