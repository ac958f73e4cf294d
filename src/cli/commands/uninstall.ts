import type { Command, FlagSpec } from '../command.ts';
import { oneOf, parseFlags, UsageError } from '../command.ts';
import { outputFlag, outputFormat } from '../common-flags.ts';
import { clusterFlags, kubeConfig } from '../cluster-flags.ts';
import { serialize, table } from '../format.ts';
import { KspecStore } from '../../cluster/kspec-store.ts';
import type { ClusterSpecification } from '../../api/types.ts';
import { runningKspec, uninstallPolicies, type PolicyChoice } from '../../uninstall/uninstall-policies.ts';

const CHOICES = ['delete', 'keep'] as const;

const flagSpec = {
  policies: { type: 'string', value: 'CHOICE', values: CHOICES, description: 'Required. delete: remove the Kyverno policies kspec installed; keep: leave them in place with kspec\'s labels taken off' },
  spec: { type: 'string', value: 'NAME', description: 'Only the policies of this ClusterSpecification (refused while it still exists)' },
  'dry-run': { type: 'boolean', description: 'Show what would be deleted or kept; the API server checks each change and stores none' },
  force: { type: 'boolean', description: 'Go ahead although kspec still runs (holds a Lease) or the spec still exists: kspec may undo it' },
  ...clusterFlags,
  ...outputFlag,
} satisfies Record<string, FlagSpec>;

/**
 * Removes kspec's hold on the policies it installed, before kspec itself is removed
 * (`kubectl delete -k deploy/`), or for one spec. There is no default: the operator says whether
 * the policies go or stay. Exit 0 when every policy was handled, 1 when a policy or a cluster
 * failed (what was not handled is listed), 2 on a usage error or when kspec still runs.
 */
const uninstall: Command = {
  name: 'uninstall',
  usage: 'kspec uninstall --policies delete|keep [flags]',
  flags: flagSpec,
  examples: [
    { what: 'After stopping kspec: what deleting its policies would remove, then do it', command: 'kspec uninstall --policies delete --dry-run && kspec uninstall --policies delete' },
    { what: 'Leave the policies enforcing, released from kspec, before `kubectl delete -k deploy/`', command: 'kspec uninstall --policies keep' },
    { what: 'The policies of one spec applied with kubectl, after deleting it', command: 'kspec uninstall --spec payments-baseline --policies delete' },
  ],
  async run(argv, io) {
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
  },
};

/** Why the spec's policies cannot be handled yet: the spec still exists, so kspec would put them back. */
async function specStillDefined(management: Parameters<typeof runningKspec>[0], namespace: string, name: string): Promise<string | undefined> {
  const spec = await new KspecStore(management).get<ClusterSpecification>('ClusterSpecification', namespace, name);
  return spec ? `ClusterSpecification ${namespace}/${name} still exists` : undefined;
}

export default uninstall;
