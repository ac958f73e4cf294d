// What `kspec plan` does; its flags and help are in plan.ts.
import { parseFlags } from '../command.ts';
import { outputFormat, servingOptions, sourceOptions, renderRules } from '../common-flags.ts';
import { kubeConfig } from '../management-cluster.ts';
import { reconcilePass } from '../../reconcile/pass.ts';
import { fetchSnapshot } from '../../source/git-source.ts';
import { ServerFormCache } from '../../cluster/server-form.ts';
import { saveServerForms, serverFormsFile } from '../server-forms-file.ts';
import { loadDiscovery, saveDiscovery } from '../discovery-file.ts';
import { commandLogger } from '../log-flags.ts';
import { planText, structured } from '../pass-output.ts';
import { githubFromEnv } from '../github-flags.ts';
import { upsertPlanComment } from '../../writeback/plan-comment.ts';
import type { PlanResult } from '../../writeback/index.ts';
import type { PassResult } from '../../reconcile/pass.ts';
import { UsageError } from '../command.ts';
import { isClean } from '../../reconcile/spec-plan.ts';
import { addPlanImpact } from '../../impact/plan-impact.ts';
import { flagSpec } from './plan.ts';
import type { CommandIO } from '../command.ts';

export async function runPlan(argv: string[], io: CommandIO): Promise<number> {
  const { flags } = parseFlags(argv, flagSpec, io.env);
  const pullNumber = flags['comment-on-pr'] ? Number(flags['comment-on-pr']) : undefined;
  if (pullNumber !== undefined && !(Number.isInteger(pullNumber) && pullNumber > 0)) throw new UsageError('--comment-on-pr takes a pull request number');
  const github = pullNumber ? await githubFromEnv(flags, io.env) : undefined;
  const format = outputFormat(flags.output);
  const source = sourceOptions(flags, io.env);
  const log = commandLogger(flags, io);
  const serverForms = ServerFormCache.load(serverFormsFile(source.cacheDir));
  loadDiscovery(source.cacheDir);
  const management = kubeConfig(flags, io.env);
  // A plan shows what the repository asks for. When the repository cannot be read (a branch that
  // does not exist, a host that does not answer) there is nothing to plan: the error is the
  // command's, rather than a plan of the last good state the pass would keep in effect.
  const snapshot = await fetchSnapshot(source);
  const result = await reconcilePass({
    source,
    snapshot,
    ...servingOptions(flags),
    namespace: flags.namespace!,
    rules: renderRules(flags),
    management,
    dryRun: true,
    assess: false,
    serverForms,
    log,
  });
  saveServerForms(serverForms, source.cacheDir, log);
  await addPlanImpact(result);
  saveDiscovery(source.cacheDir, log);
  io.stdout(format === 'table' ? planText(result) : structured(result, format));
  if (github && pullNumber) {
    const comment = await upsertPlanComment(github, { pullNumber, plan: planForComment(result) });
    io.stderr(`plan comment ${comment.action} on pull request #${pullNumber}: ${comment.url}\n`);
  }
  if (!result.ok) return 2;
  return result.specs.some((s) => s.actions.length > 0) ? 1 : 0;
}

/** What the pass would change on the live clusters: report-only specs change nothing, so they are left out. */
function planForComment(result: PassResult): PlanResult {
  const action = { missing: 'add', modified: 'change', extra: 'remove' } as const;
  return {
    changes: result.specs
      .filter((s) => s.remediation === 'auto')
      .flatMap((s) =>
        s.actions
          .filter(({ drift }) => drift.type !== 'extra' || isClean(s.plan))
          .map(({ drift }) => ({
            cluster: s.cluster,
            spec: s.plan.name,
            action: action[drift.type],
            ...(drift.event.resourceKind ? { kind: drift.event.resourceKind } : {}),
            ...(drift.event.resourceNamespace ? { namespace: drift.event.resourceNamespace } : {}),
            name: drift.event.resourceName,
            policyID: drift.event.policyID,
            ...(drift.event.checkID ? { checkID: drift.event.checkID } : {}),
            ...(drift.event.diff ? { diff: drift.event.diff } : {}),
          })),
      ),
    specs: result.specs.map((s) => ({ cluster: s.cluster, spec: s.plan.name })),
    impact: result.specs.filter((s) => s.impact?.length).map((s) => ({ cluster: s.cluster, spec: s.plan.name, policies: s.impact! })),
    errors: [...result.specs.flatMap((s) => s.errors.map((message) => ({ message: `${s.plan.name}: ${message}` }))), ...(result.fetchError ? [{ message: result.fetchError }] : [])],
    ...(result.commit ? { sourceCommit: result.commit } : {}),
  };
}
