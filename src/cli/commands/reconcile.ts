import type { Command } from '../command.ts';
import { parseFlags, UsageError } from '../command.ts';
import { cacheDir, optionalSourceOptions, outputFlag, outputFormat, reportRefreshFlag, reportRefreshMs, servingFlags, servingOptions, sourceFlags, renderFlags, renderRules } from '../common-flags.ts';
import { clusterFlags, kubeConfig } from '../cluster-flags.ts';
import { reconcilePass } from '../../reconcile/pass.ts';
import { ServerFormCache } from '../../cluster/server-form.ts';
import { saveServerForms, serverFormsFile } from '../server-forms-file.ts';
import { createLogger, parseLogLevel } from '../../log.ts';
import { createMetrics } from '../../server/metrics.ts';
import { planText, structured, summaryText } from '../pass-output.ts';
import { writeBackFlags, writeBackConfig } from '../write-back-flags.ts';
import { writeBackToGit } from '../../reconcile/git-write-back.ts';

const reconcile: Command = {
  name: 'reconcile',
  usage: 'kspec reconcile --once [--repo R [--branch B] [--path P] [--cluster-specs] [--take-over]] [--dry-run] [--write-back none|commit|pull-request] [-o table|yaml|json]\n  without --repo: serve the ClusterSpecifications applied to the cluster',
  async run(argv, io) {
    const { flags } = parseFlags(argv, { ...clusterFlags, ...sourceFlags, ...servingFlags, ...renderFlags, ...outputFlag, ...writeBackFlags, ...reportRefreshFlag, once: { type: 'boolean' }, 'dry-run': { type: 'boolean' } }, io.env);
    if (!flags.once) throw new UsageError('reconcile runs a single pass: pass --once (use `kspec run` for the long-running poller)');
    const format = outputFormat(flags.output);
    const log = createLogger({ level: parseLogLevel(io.env.KSPEC_LOG_LEVEL) ?? 'info' });
    const source = optionalSourceOptions(flags, io.env);
    const cache = cacheDir(flags, io.env);
    const serverForms = ServerFormCache.load(serverFormsFile(cache));
    const gitConfig = await writeBackConfig(flags, source, io.env, log);
    const result = await reconcilePass({
      ...(source ? { source } : {}),
      ...servingOptions(flags),
      namespace: flags.namespace!,
      rules: renderRules(flags),
      management: kubeConfig(flags, io.env),
      dryRun: flags['dry-run'],
      reportRefreshMs: reportRefreshMs(flags['report-refresh']),
      serverForms,
      log,
      metrics: createMetrics({ defaultMetrics: false }),
    });
    saveServerForms(serverForms, cache, log);
    const written = flags['dry-run'] || !gitConfig ? undefined : await writeBackToGit(result, gitConfig);
    if (format !== 'table') io.stdout(structured(result, format));
    else io.stdout(planText(result) + summaryText(result));
    for (const error of written?.errors ?? []) io.stderr(`write-back (${error.mode}${error.spec ? `, ${error.spec}` : ''}): ${error.error}\n`);
    if (written?.commit?.committed) io.stdout(`reports committed to ${written.commit.branch} (${written.commit.sha?.slice(0, 12)})\n`);
    for (const pr of written?.pullRequests ?? []) if (pr.action !== 'none') io.stdout(`drift pull request ${pr.action}: ${pr.url ?? pr.branch}\n`);
    return result.ok && !written?.errors.length ? 0 : 1;
  },
};

export default reconcile;
