import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';
import { clusterFlags, kubeConfig, outputFlag, outputFormat, sourceFlags, sourceOptions } from '../common-flags.ts';
import { reconcilePass } from '../../reconcile/pass.ts';
import { createLogger } from '../../log.ts';
import { planText, structured } from '../pass-output.ts';

/** Exit codes follow `kubectl diff`: 0 no drift, 1 drift, above 1 an error. */
const plan: Command = {
  name: 'plan',
  summary: 'Show the drift between the repository and the cluster, changing nothing',
  usage: 'kspec plan --repo R [--branch B] [--path P] [-o table|yaml|json]',
  async run(argv, io) {
    const { flags } = parseFlags(argv, { ...clusterFlags, ...sourceFlags, ...outputFlag }, io.env);
    const format = outputFormat(flags.output);
    const result = await reconcilePass({
      source: sourceOptions(flags, io.env),
      namespace: flags.namespace!,
      management: kubeConfig(flags),
      dryRun: true,
      log: createLogger({ level: 'warn' }),
    });
    io.stdout(format === 'table' ? planText(result) : structured(result, format));
    if (!result.ok) return 2;
    return result.specs.some((s) => s.actions.length > 0) ? 1 : 0;
  },
};

export default plan;
