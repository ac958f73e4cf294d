// What `kspec reconcile` does; its flags and help are in reconcile.ts.
import { parseFlags } from '../command.ts';
import { cacheDir, optionalSourceOptions, outputFormat, reportRefreshMs, servingOptions, renderRules } from '../common-flags.ts';
import { kubeConfig } from '../management-cluster.ts';
import { reconcilePass } from '../../reconcile/pass.ts';
import { ServerFormCache } from '../../cluster/server-form.ts';
import { saveServerForms, serverFormsFile } from '../server-forms-file.ts';
import { loadDiscovery, saveDiscovery } from '../discovery-file.ts';
import { commandLogger } from '../log-flags.ts';
import { planText, structured, summaryText } from '../pass-output.ts';
import { writeBackConfig } from '../write-back-flags.ts';
import { flagSpec } from './reconcile.ts';
import type { CommandIO } from '../command.ts';

export async function runReconcile(argv: string[], io: CommandIO): Promise<number> {
  const { flags } = parseFlags(argv, flagSpec, io.env);
  const format = outputFormat(flags.output);
  const log = commandLogger(flags, io);
  const source = optionalSourceOptions(flags, io.env);
  const cache = cacheDir(flags, io.env);
  const serverForms = ServerFormCache.load(serverFormsFile(cache));
  loadDiscovery(cache);
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
    ...(gitConfig ? { writeBack: gitConfig } : {}),
  });
  saveServerForms(serverForms, cache, log);
  saveDiscovery(cache, log);
  const written = result.writeBack;
  if (format !== 'table') io.stdout(structured(result, format));
  else io.stdout(planText(result) + summaryText(result));
  for (const error of written?.errors ?? []) io.stderr(`write-back (${error.mode}${error.spec ? `, ${error.spec}` : ''}): ${error.error}\n`);
  if (written?.commit?.committed) io.stdout(`reports committed to ${written.commit.branch} (${written.commit.sha?.slice(0, 12)})\n`);
  for (const pr of written?.pullRequests ?? []) if (pr.action !== 'none') io.stdout(`drift pull request ${pr.action}: ${pr.url ?? pr.branch}\n`);
  for (const pr of written?.promotions ?? []) if (pr.action !== 'none') io.stdout(`promotion pull request ${pr.action}: ${pr.url ?? pr.branch}${pr.note ? ` (${pr.note})` : ''}\n`);
  return result.ok && !written?.errors.length ? 0 : 1;
}
