// What `kspec uninstall` does; its flags and help are in uninstall.ts.
import { oneOf, parseFlags, UsageError } from '../command.ts';
import { outputFormat } from '../common-flags.ts';
import { kubeConfig } from '../management-cluster.ts';
import { serialize, table } from '../format.ts';
import { KspecStore } from '../../cluster/kspec-store.ts';
import type { ClusterSpecification } from '../../api/types.ts';
import { runningKspec, uninstallPolicies, type PolicyChoice } from '../../uninstall/uninstall-policies.ts';
import { CHOICES, flagSpec } from './uninstall.ts';
import type { CommandIO } from '../command.ts';

export async function runUninstall(argv: string[], io: CommandIO): Promise<number> {
  const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
  if (positionals.length) throw new UsageError(`uninstall takes no arguments, not ${JSON.stringify(positionals[0])}`);
  if (!flags.policies) {
    throw new UsageError('--policies is required: delete (remove the Kyverno policies kspec installed) or keep (leave them in place, no longer managed by kspec)');
  }
  const policies: PolicyChoice = oneOf('--policies', flags.policies, CHOICES);
  const format = outputFormat(flags.output);
  const management = kubeConfig(flags, io.env);
  const namespace = flags.namespace!;
  const dryRun = flags['dry-run'];

  // A running kspec would undo this at its next pass: put deleted policies back, label kept ones again.
  if (!flags.force) {
    const blocker = flags.spec ? await specStillDefined(management, namespace, flags.spec) : await runningKspec(management, namespace);
    if (blocker) {
      io.stderr(`kspec uninstall: ${blocker}; kspec would undo this at its next pass.\n${flags.spec ? 'Remove the spec first (from Git, or kubectl delete it)' : `Stop kspec first: kubectl -n ${namespace} scale deployment kspec --replicas=0`}, or pass --force.\n`);
      return 2;
    }
  }

  const result = await uninstallPolicies({ management, namespace, policies, ...(flags.spec ? { spec: flags.spec } : {}), dryRun });
  const failed = result.policies.filter((p) => p.action === 'failed').length + result.clusterErrors.length;
  if (format !== 'table') {
    io.stdout(serialize({ dryRun, policies: result.policies, clusterErrors: result.clusterErrors }, format));
    return failed ? 1 : 0;
  }
  if (result.policies.length) {
    io.stdout(table(['CLUSTER', 'SPEC', 'POLICY', 'ACTION'], result.policies.map((p) => [p.cluster, p.spec, p.policy, `${p.action}${dryRun && p.action !== 'failed' ? ' (dry run)' : ''}`])));
  }
  for (const p of result.policies.filter((o) => o.error)) io.stderr(`${p.cluster}: ${p.error}\n`);
  for (const c of result.clusterErrors) io.stderr(`${c.cluster}: ${c.error} (its policies were not touched)\n`);
  const handled = result.policies.length - result.policies.filter((p) => p.action === 'failed').length;
  const verb = policies === 'delete' ? 'deleted' : 'kept and released from kspec';
  io.stdout(`${handled} ${handled === 1 ? 'policy' : 'policies'} ${verb}${dryRun ? ' (dry run: nothing changed)' : ''}${failed ? `, ${failed} failed` : ''}\n`);
  return failed ? 1 : 0;
}

/** Why the spec's policies cannot be handled yet: the spec still exists, so kspec would put them back. */
async function specStillDefined(management: Parameters<typeof runningKspec>[0], namespace: string, name: string): Promise<string | undefined> {
  const spec = await new KspecStore(management).get<ClusterSpecification>('ClusterSpecification', namespace, name);
  return spec ? `ClusterSpecification ${namespace}/${name} still exists` : undefined;
}
