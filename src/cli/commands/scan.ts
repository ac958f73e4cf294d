// `kspec scan`: offline compliance of manifests against a spec's rendered policies or Kyverno
// policy files, with kspec's engine. Output as a table, JSON, YAML or SARIF 2.1.0 (for GitHub
// code scanning: one rule per Kyverno policy/rule, results located at the manifest document).
// Exit 0 when nothing fails, 1 when a result is fail or error, 2 on a usage or input error.
import { oneOf, parseFlags, UsageError } from '../command.ts';
import type { Command, CommandIO } from '../command.ts';
import { serialize, table } from '../format.ts';
import { ProgressBar } from '../progress-bar.ts';
import { kyvernoPolicies, loadManifests, specPolicies } from '../scan-inputs.ts';
import { oneLine, resourceLabel, scan } from '../../compliance/offline-scan.ts';
import type { ScanPolicy, ScanReport, ScanResource } from '../../compliance/offline-scan.ts';
import { toSarif } from '../../report/sarif.ts';

const flagSpec = {
  spec: { type: 'string' },
  policy: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o', default: 'table' },
} as const;

type Format = 'table' | 'json' | 'yaml' | 'sarif';

const command: Command = {
  name: 'scan',
  summary: 'Check manifests offline against a spec or Kyverno policies; exit 1 when anything fails',
  usage: 'kspec scan [--spec PATH | --policy FILE_OR_DIR ...] [-o table|json|yaml|sarif] MANIFEST_PATH...',
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    const policyPaths = flags.policy === undefined ? [] : Array.isArray(flags.policy) ? (flags.policy as string[]) : [flags.policy];
    if (!flags.spec && policyPaths.length === 0) throw new UsageError('give --spec PATH or --policy FILE_OR_DIR');
    if (flags.spec && policyPaths.length) throw new UsageError('--spec and --policy cannot be combined');
    if (positionals.length === 0) throw new UsageError('give at least one MANIFEST_PATH (file or folder)');
    const format: Format = oneOf('--output', flags.output ?? 'table', ['table', 'json', 'yaml', 'sarif'] as const);
    const loaded = flags.spec ? await specPolicies(flags.spec) : await kyvernoPolicies(policyPaths);
    if (loaded.errors.length) {
      for (const e of loaded.errors) io.stderr(`${e}\n`);
      return 2;
    }
    if (loaded.policies.length === 0) throw new UsageError(`no Kyverno policies found in ${flags.spec ?? policyPaths.join(', ')}`);
    const policies = loaded.policies;
    const manifests = await loadManifests(positionals);
    if (manifests.errors.length) {
      for (const e of manifests.errors) io.stderr(`${e}\n`);
      return 2;
    }
    const resources = manifests.resources;
    const progress = new ProgressBar(io, resources.length);
    const report = scan(policies, resources, () => progress.tick());
    progress.done();
    io.stdout(format === 'sarif' ? JSON.stringify(toSarif(report, policies), null, 2) + '\n' : format === 'table' ? formatTable(report) : serialize(report, format));
    return report.summary.fail + report.summary.error > 0 ? 1 : 0;
  },
};

export default command;

function formatTable(report: ScanReport): string {
  const rows = report.results
    .filter((r) => r.result !== 'pass')
    .map((r) => [r.result.toUpperCase(), r.severity, `${r.policy}/${r.rule}`, resourceLabel(r.resource), `${r.file}:${r.line}`, oneLine(r.message)]);
  const s = report.summary;
  const summary = `${s.resources} resources, ${s.policies} policies: ${s.pass} passed, ${s.fail} failed, ${s.warn} warnings, ${s.error} errors, ${s.skip} skipped\n`;
  return (rows.length ? table(['RESULT', 'SEVERITY', 'POLICY/RULE', 'RESOURCE', 'LOCATION', 'MESSAGE'], rows) + '\n' : '') + summary;
}
