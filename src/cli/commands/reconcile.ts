import type { Command } from '../command.ts';
import { parseFlags, UsageError } from '../command.ts';
import { clusterFlags, kubeConfig, outputFlag, outputFormat, sourceFlags, sourceOptions } from '../common-flags.ts';
import { reconcilePass } from '../../reconcile/pass.ts';
import { createLogger } from '../../log.ts';
import { createMetrics } from '../../server/metrics.ts';
import { planText, structured, summaryText } from '../pass-output.ts';

const reconcile: Command = {
  name: 'reconcile',
  summary: 'Run one full pass: fetch, render, diff, enforce or report, publish',
  usage: 'kspec reconcile --once --repo R [--branch B] [--path P] [--dry-run] [-o table|yaml|json]',
  async run(argv, io) {
    const { flags } = parseFlags(argv, { ...clusterFlags, ...sourceFlags, ...outputFlag, once: { type: 'boolean' }, 'dry-run': { type: 'boolean' } }, io.env);
    if (!flags.once) throw new UsageError('reconcile runs a single pass: pass --once (use `kspec run` for the long-running poller)');
    const format = outputFormat(flags.output);
    const result = await reconcilePass({
      source: sourceOptions(flags, io.env),
      namespace: flags.namespace!,
      management: kubeConfig(flags),
      dryRun: flags['dry-run'],
      log: createLogger(),
      metrics: createMetrics({ defaultMetrics: false }),
    });
    if (format !== 'table') io.stdout(structured(result, format));
    else io.stdout(planText(result) + summaryText(result));
    return result.ok ? 0 : 1;
  },
};

export default reconcile;
