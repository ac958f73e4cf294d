import type { Command, FlagSpec } from '../command.ts';
import { outputFlag, reportRefreshFlag } from '../common-flags.ts';
import { passFlags } from '../cluster-flags.ts';
import { logFlags } from '../log-flags.ts';
import { writeBackFlags } from '../write-back-flags.ts';

export const flagSpec = {
  ...passFlags,
  ...outputFlag,
  'dry-run': { type: 'boolean', description: 'Change nothing: show what the pass would do (server-side dry run)' },
  ...writeBackFlags,
  ...reportRefreshFlag,
  once: { type: 'boolean', description: 'No longer needed: reconcile always runs one pass (accepted for scripts that pass it)' },
  ...logFlags('info'),
} satisfies Record<string, FlagSpec>;

/** One pass, then exit: 0 when it went through, 1 when a spec, a target or the write-back failed. */
const reconcile: Command = {
  name: 'reconcile',
  usage: 'kspec reconcile [--repo URL] [flags]\n  without --repo: serve the ClusterSpecifications applied to the cluster',
  flags: flagSpec,
  examples: [
    { what: 'One pass of examples/repo against the cluster of the current kubectl context', command: 'kspec reconcile --repo . --path examples/repo' },
    { what: 'What a pass would change, changing nothing', command: 'kspec reconcile --repo . --path examples/repo --dry-run' },
    { what: 'One pass that commits its reports to the kspec-reports branch', command: 'kspec reconcile --repo https://github.com/acme/policies --write-back commit' },
  ],
  async run(argv, io) {
    // What the command does is loaded only when it runs: help and completion read the flags above
    // without loading the Kubernetes client.
    return (await import('./run-reconcile.ts')).runReconcile(argv, io);
  },
};

export default reconcile;
