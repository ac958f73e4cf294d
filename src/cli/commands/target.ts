import type { Command, FlagSpec } from '../command.ts';
import { oneOf, parseFlags, UsageError } from '../command.ts';
import { clusterFlags, kubeConfig } from '../cluster-flags.ts';
import { serialize } from '../format.ts';
import { loadKubeConfig } from '../../cluster/kubeconfig.ts';
import { probeTarget } from '../../cluster/target-probe.ts';
import { serviceAccountKubeconfig, standaloneKubeconfig } from '../../cluster/target-access.ts';
import { applyObject, kubectlName } from '../../cluster/apply-object.ts';
import type { AppliedObject } from '../../cluster/apply-object.ts';

const flagSpec = {
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
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    const [sub, name, ...extra] = positionals;
    if (sub !== 'add') throw new UsageError(sub ? `unknown subcommand "${sub}"; target takes: add` : 'target takes a subcommand: add');
    if (!name || extra.length) throw new UsageError('target add takes exactly one NAME: the ClusterTarget\'s name');
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new UsageError(`NAME must be a DNS label (lower-case letters, digits and '-', at most 63), not ${JSON.stringify(name)}`);
    const format = oneOf('--output', flags.output, ['yaml', 'json'] as const);
    const tokenTimeout = Number(flags['token-timeout']);
    if (!(tokenTimeout > 0)) throw new UsageError(`--token-timeout takes a number of seconds above 0, not ${JSON.stringify(flags['token-timeout'])}`);
    const namespace = flags.namespace!;
    const management = flags.apply ? kubeConfig(flags, io.env) : undefined;

    const remote = loadKubeConfig({ ...(flags['target-kubeconfig'] ? { kubeconfig: flags['target-kubeconfig'] } : {}), ...(flags['target-context'] ? { context: flags['target-context'] } : {}), env: io.env });
    const { serverVersion } = await probeTarget(remote, undefined, 15_000);
    const written = { name, ...(flags['target-server'] ? { server: flags['target-server'] } : {}) };
    const kubeconfig = flags['create-service-account']
      ? await serviceAccountKubeconfig(remote, written, {
          name: flags['service-account']!,
          namespace: flags['service-account-namespace']!,
          tokenTimeoutMs: tokenTimeout * 1000,
          onApplied: (what) => io.stderr(`${what} serverside-applied on the target cluster\n`),
        })
      : standaloneKubeconfig(remote, written);
    const objects = registration(name, namespace, kubeconfig, kubernetesVersion(serverVersion), flags.platform);

    if (!management) {
      // The Secret's data is the credential itself: meant for `kubectl apply -f -`, never for
      // the specs repository, which the header says.
      io.stdout(format === 'json' ? serialize({ apiVersion: 'v1', kind: 'List', items: objects }, 'json') : printedYaml(objects));
      return 0;
    }
    for (const object of objects) {
      await applyObject(management, object);
      io.stdout(`${kubectlName(object)} serverside-applied in ${namespace}\n`);
    }
    return 0;
  },
};

/** The Secret with the kubeconfig, then the ClusterTarget naming it. */
function registration(name: string, namespace: string, kubeconfig: string, version: string, platform: string | undefined): AppliedObject[] {
  const secretName = `${name}-kubeconfig`;
  const labels = { 'app.kubernetes.io/name': 'kspec', 'app.kubernetes.io/component': 'target-kubeconfig' };
  return [
    { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: secretName, namespace, labels }, data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') } },
    {
      apiVersion: 'kspec.io/v1alpha1',
      kind: 'ClusterTarget',
      metadata: { name, namespace },
      spec: { inCluster: false, kubeconfig: { secretRef: { name: secretName, key: 'kubeconfig' } }, ...(platform ? { platform } : {}), version },
    },
  ];
}

/** `v1.28.3-eks-1a2b` as `1.28`: a patch upgrade of the cluster is not a version mismatch. */
function kubernetesVersion(gitVersion: string): string {
  const [major, minor] = gitVersion.replace(/^v/, '').split(/[-+]/)[0].split('.');
  return `${major}.${minor}`;
}

function printedYaml(objects: AppliedObject[]): string {
  const header = [
    '# Apply to kspec\'s namespace of the management cluster (kubectl apply -f -).',
    '# The Secret holds credentials: never commit it. The ClusterTarget may live in the specs repository instead.',
  ].join('\n');
  return `${header}\n${objects.map((o) => serialize(o, 'yaml')).join('---\n')}`;
}

export default target;
