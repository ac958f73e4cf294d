import type { Command, FlagSpec } from '../command.ts';
import { outputFlag } from '../common-flags.ts';
import { clusterFlags } from '../cluster-flags.ts';

export const CHOICES = ['delete', 'keep'] as const;

export const flagSpec = {
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
    // What the command does is loaded only when it runs: help and completion read the flags above
    // without loading the Kubernetes client.
    return (await import('./run-uninstall.ts')).runUninstall(argv, io);
  },
};

export default uninstall;
