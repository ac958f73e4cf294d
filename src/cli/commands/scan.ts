// `kspec scan`: offline compliance of manifests against a spec's rendered policies or Kyverno
// policy files, with kspec's engine. Output as a table, JSON, YAML or SARIF 2.1.0 (for GitHub
// code scanning: one rule per Kyverno policy/rule, results located at the manifest document),
// streamed as results are produced.
// Exit 0 when nothing fails the run, 1 when something does (by default a violation of an Enforce
// rule; --fail-on any|none), 2 on a usage or input error.
import { oneOf, parseFlags, UsageError } from '../command.ts';
import type { Command, CommandIO, FlagSpec } from '../command.ts';
import { ProgressBar } from '../progress-bar.ts';
import { kyvernoPolicies, loadManifests, specPolicies } from '../scan-inputs.ts';
import { writeScan } from '../scan-output.ts';
import { scan } from '../../compliance/offline-scan.ts';
import { terminalSafe } from '../../util/terminal-text.ts';

const FORMATS = ['table', 'json', 'yaml', 'sarif'] as const;
const FAIL_ON = ['enforce', 'any', 'none'] as const;

const flagSpec = {
  spec: { type: 'string', value: 'PATH', description: 'Check against the policies this ClusterSpecification folder or file renders' },
  policy: { type: 'string', value: 'FILE_OR_DIR', multiple: true, description: 'Check against these Kyverno policy files (repeat the flag for more)' },
  output: { type: 'string', short: 'o', value: 'FORMAT', values: FORMATS, default: 'table', description: 'Output format (sarif for GitHub code scanning)' },
  'fail-on': { type: 'string', value: 'WHICH', values: FAIL_ON, default: 'enforce', description: 'Violations that fail the run (exit 1): of Enforce rules, of any rule, or none' },
} satisfies Record<string, FlagSpec>;

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

const command: Command = {
  name: 'scan',
  usage: 'kspec scan (--spec PATH | --policy FILE_OR_DIR...) [flags] MANIFEST_PATH...',
  flags: flagSpec,
  examples: [
    { what: 'Check manifests against the policies of the example specs', command: 'kspec scan --spec examples/repo manifests/' },
    { what: 'SARIF for GitHub code scanning, failing on Audit violations too', command: 'kspec scan --spec examples/repo manifests/ -o sarif --fail-on any > kspec.sarif' },
    { what: 'Check against Kyverno policy files instead of a spec', command: 'kspec scan --policy policies/ --policy extra.yaml deploy/' },
  ],
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    const policyPaths = flags.policy === undefined ? [] : Array.isArray(flags.policy) ? (flags.policy as string[]) : [flags.policy];
    if (!flags.spec && policyPaths.length === 0) throw new UsageError('give --spec PATH or --policy FILE_OR_DIR');
    if (flags.spec && policyPaths.length) throw new UsageError('--spec and --policy cannot be combined');
    if (positionals.length === 0) throw new UsageError('give at least one MANIFEST_PATH (file or folder)');
    if (flags.spec && URL_LIKE.test(flags.spec)) throw new UsageError('--spec reads a local folder or file; scan does not fetch URLs (clone the repository first)');
    const format = oneOf('--output', flags.output ?? 'table', FORMATS);
    const failOn = oneOf('--fail-on', flags['fail-on'] ?? 'enforce', FAIL_ON);
    const note = (text: string) => io.stderr(`kspec scan: ${terminalSafe(text)}\n`);
    const loaded = flags.spec ? await specPolicies(flags.spec) : await kyvernoPolicies(policyPaths);
    loaded.notes.forEach(note);
    if (loaded.errors.length) {
      for (const e of loaded.errors) io.stderr(`${terminalSafe(e)}\n`);
      return 2;
    }
    if (loaded.policies.length === 0) throw new UsageError(`no Kyverno policies found in ${flags.spec ?? policyPaths.join(', ')}`);
    const policies = loaded.policies;
    let loading: ProgressBar | undefined;
    const manifests = await loadManifests(positionals, (_done, total) => (loading ??= new ProgressBar(io, total, { unit: 'files loaded' })).tick());
    loading?.done();
    manifests.notes.forEach(note);
    if (manifests.errors.length) {
      for (const e of manifests.errors) io.stderr(`${terminalSafe(e)}\n`);
      return 2;
    }
    const resources = manifests.resources;
    const progress = new ProgressBar(io, resources.length);
    const run = scan(policies, resources, failOn, () => progress.tick());
    // The progress bar is drawn on stderr while results stream to stdout; on a terminal both
    // share the screen, so the bar is cleared before the first line of output.
    writeScan(run, policies, format, (text) => {
      progress.done();
      io.stdout(text);
    });
    progress.done();
    return run.summary.failing > 0 ? 1 : 0;
  },
};

export default command;
