// `kspec test DIR`: runs Kyverno CLI test suites (kyverno-test.yaml) with the built-in engine.
// Exit 0 when every expected result holds; 1 when one does not, a test file does not load, or
// there is nothing to run; 2 on a usage error.
import { oneOf, parseFlags, UsageError } from '../command.ts';
import type { Command, CommandIO, FlagSpec } from '../command.ts';
import { runKyvernoTests } from '../../engine/kyverno-test.ts';
import { formatJson, formatJunit, formatText, suitePassed } from '../test-report.ts';
import { pathKind } from '../../util/input-file.ts';
import { terminalSafe } from '../../util/terminal-text.ts';

const FORMATS = ['text', 'json', 'junit'] as const;

const flagSpec = {
  output: { type: 'string', short: 'o', value: 'FORMAT', values: FORMATS, default: 'text', description: 'Output format (junit and json for CI)' },
  detailed: { type: 'boolean', short: 'v', description: 'List every expected result, not only the failures' },
  'allow-outside': { type: 'boolean', description: 'Let test files name policies and resources outside DIR' },
} satisfies Record<string, FlagSpec>;

const command: Command = {
  name: 'test',
  usage: 'kspec test DIR [flags]',
  flags: flagSpec,
  examples: [
    { what: 'Run the Kyverno CLI tests (kyverno-test.yaml) under a folder', command: 'kspec test ../shared/kyverno-conformance' },
    { what: 'Every result, passed and failed', command: 'kspec test policies/ -v' },
    { what: 'A JUnit report for CI', command: 'kspec test policies/ -o junit > kspec-test.xml' },
  ],
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    if (positionals.length !== 1) throw new UsageError('expected exactly one DIR argument');
    const format = oneOf('--output', flags.output ?? 'text', FORMATS);
    const dir = positionals[0];
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dir)) throw new UsageError('DIR is a local folder; kspec test does not fetch URLs (clone the repository first)');
    const kind = await pathKind(dir);
    if (kind !== 'directory') throw new UsageError(kind === 'missing' ? `${dir} does not exist` : `${dir} is not a directory`);
    // Files a test names are read only under DIR unless --allow-outside says otherwise.
    const report = await runKyvernoTests(dir, { allowOutside: flags['allow-outside'] });
    for (const note of report.notes) io.stderr(`kspec test: ${terminalSafe(note)}\n`);
    if (report.files.length === 0) io.stderr(`kspec test: no kyverno-test.yaml found under ${terminalSafe(dir)}\n`);
    io.stdout(format === 'json' ? formatJson(report) : format === 'junit' ? formatJunit(report) : formatText(report, flags.detailed));
    return suitePassed(report) ? 0 : 1;
  },
};

export default command;
