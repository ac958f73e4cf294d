// What `kspec target` does; its flags and help are in target.ts.
import { oneOf, parseFlags, UsageError } from '../command.ts';
import { kubeConfig } from '../management-cluster.ts';
import { serialize } from '../format.ts';
import { loadKubeConfig } from '../../cluster/kubeconfig.ts';
import { probeTarget } from '../../cluster/target-probe.ts';
import { serviceAccountKubeconfig, standaloneKubeconfig } from '../../cluster/target-access.ts';
import { applyObject, kubectlName } from '../../cluster/apply-object.ts';
import type { AppliedObject } from '../../cluster/apply-object.ts';
import { flagSpec } from './target.ts';
import type { CommandIO } from '../command.ts';

export async function runTarget(argv: string[], io: CommandIO): Promise<number> {
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
}

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
