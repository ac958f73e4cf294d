// `kspec test DIR`: runs Kyverno CLI test suites (kyverno-test.yaml) with the built-in engine.
// Exit 0 when every expected result holds; 1 when one does not, a test file does not load, or
// there is nothing to run; 2 on a usage error.
import { oneOf, parseFlags, UsageError } from '../command.ts';
import type { Command, CommandIO } from '../command.ts';
import { runKyvernoTests } from '../../engine/kyverno-test.ts';
import { formatJson, formatJunit, formatText, suitePassed } from '../test-report.ts';
import { pathKind } from '../../util/input-file.ts';
import { terminalSafe } from '../../util/terminal-text.ts';

const flagSpec = {
  detailed: { type: 'boolean', short: 'v' },
  output: { type: 'string', short: 'o', default: 'text' },
  'allow-outside': { type: 'boolean' },
} as const;

const command: Command = {
  name: 'test',
  usage: 'kspec test DIR [--detailed|-v] [-o text|json|junit] [--allow-outside]',
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    if (positionals.length !== 1) throw new UsageError('expected exactly one DIR argument');
    const format = oneOf('--output', flags.output ?? 'text', ['text', 'json', 'junit'] as const);
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
