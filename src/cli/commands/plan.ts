import type { Command, FlagSpec } from '../command.ts';
import { outputFlag } from '../common-flags.ts';
import { passFlags } from '../cluster-flags.ts';
import { logFlags } from '../log-flags.ts';
import { githubFlags } from '../github-flags.ts';

export const flagSpec = {
  ...passFlags,
  ...outputFlag,
  'comment-on-pr': { type: 'string', value: 'N', description: 'Keep one comment with this plan on GitHub pull request N (token from KSPEC_GITHUB_TOKEN)' },
  ...githubFlags,
  ...logFlags('warn'),
} satisfies Record<string, FlagSpec>;

/** Exit codes follow `kubectl diff`: 0 no drift, 1 drift, above 1 an error. */
const plan: Command = {
  name: 'plan',
  usage: 'kspec plan --repo URL [flags]',
  flags: flagSpec,
  examples: [
    { what: 'Drift between examples/repo and the cluster of the current kubectl context, as a diff', command: 'kspec plan --repo . --path examples/repo' },
    { what: 'The same as JSON, against another context', command: 'kspec plan --repo https://github.com/acme/policies --context prod -o json' },
    { what: 'In CI: keep the plan as a comment on the pull request', command: 'kspec plan --repo . --comment-on-pr 42 --github-repository acme/policies' },
  ],
  async run(argv, io) {
    // What the command does is loaded only when it runs: help and completion read the flags above
    // without loading the Kubernetes client.
    return (await import('./run-plan.ts')).runPlan(argv, io);
  },
};

export default plan;
