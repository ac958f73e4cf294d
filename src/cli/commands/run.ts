import type { Command, FlagSpec } from '../command.ts';
import { reportRefreshFlag } from '../common-flags.ts';
import { passFlags } from '../cluster-flags.ts';
import { logFlags } from '../log-flags.ts';
import { writeBackFlags } from '../write-back-flags.ts';

export const SHARDING = ['none', 'auto', 'static'] as const;

export const flagSpec = {
  ...passFlags,
  schedule: { type: 'string', value: 'CRON', default: '*/1 * * * *', description: 'Cron schedule of passes; a push webhook also starts one' },
  listen: { type: 'string', value: 'ADDR', default: ':8080', description: 'Address of /metrics, /healthz, /readyz and POST /webhook' },
  'dry-run': { type: 'boolean', description: 'Change nothing: report what each pass would do (server-side dry run)' },
  ...writeBackFlags,
  ...reportRefreshFlag,
  'leader-elect': { type: 'boolean', description: 'Replicas coordinate through Leases: one leader works, or with --sharding each its targets' },
  'lease-name': { type: 'string', value: 'NAME', default: 'kspec-leader', description: 'Name of the leader-election Lease in --namespace' },
  'lease-duration': { type: 'string', value: 'SECONDS', default: '15', description: 'How long a Lease holds without renewal before another replica may take it' },
  'renew-deadline': { type: 'string', value: 'SECONDS', default: '10', description: 'How long the leader keeps trying to renew before it stops leading' },
  'retry-period': { type: 'string', value: 'SECONDS', default: '2', description: 'How often a Lease is tried for or renewed' },
  sharding: { type: 'string', value: 'MODE', values: SHARDING, default: 'none', description: 'How replicas split the targets: none (one leader), auto (through Leases), static (--shard)' },
  shard: { type: 'string', value: 'N/M', description: "This replica's shard with --sharding static (ordinal/M takes N from a StatefulSet pod name)" },
  ...logFlags('info'),
} satisfies Record<string, FlagSpec>;

/**
 * The long-running operator: a pass on every cron tick and on every verified push webhook,
 * never two at once; /metrics, /healthz and /readyz on --listen; with --leader-elect only the
 * replica holding the Lease reconciles, and with --sharding every replica reconciles the
 * targets it owns (see src/shard).
 */
const run: Command = {
  name: 'run',
  usage: 'kspec run [--repo URL] [flags]\n  without --repo: serve the ClusterSpecifications applied to the cluster',
  flags: flagSpec,
  examples: [
    { what: 'Reconcile a GitHub repository every 5 minutes and on push webhooks', command: "kspec run --repo https://github.com/acme/policies --branch main --schedule '*/5 * * * *'" },
    { what: 'Serve the specs applied to the cluster (kubectl apply, Argo CD, Flux)', command: "kspec run --schedule '*/5 * * * *'" },
    { what: 'As the Deployment in deploy/ runs it: replicas splitting the targets', command: 'kspec run --repo https://github.com/acme/policies --leader-elect --sharding auto' },
  ],
  async run(argv, io) {
    // What the command does is loaded only when it runs: help and completion read the flags above
    // without loading the Kubernetes client.
    return (await import('./run-operator.ts')).runOperator(argv, io);
  },
};

export default run;
