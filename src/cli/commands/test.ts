// `kspec test DIR`: runs Kyverno CLI test suites (kyverno-test.yaml) with the built-in engine.
import { stat } from 'node:fs/promises';
import { parseFlags, UsageError } from '../command.ts';
import type { Command, CommandIO } from '../command.ts';
import { runKyvernoTests } from '../../engine/kyverno-test.ts';
import type { SuiteReport } from '../../engine/kyverno-test.ts';

const flagSpec = {
  detailed: { type: 'boolean', short: 'v' },
} as const;

function resourceLabel(kind: string, namespace: string | undefined, name: string): string {
  return [kind, namespace, name].filter((s) => s).join('/');
}

export function formatReport(report: SuiteReport, detailed: boolean): string {
  const lines: string[] = [];
  for (const file of report.files) {
    for (const err of file.errors) lines.push(`${file.file}: error: ${err}`);
    for (const m of file.mismatches) {
      const e = m.expected;
      lines.push(
        `FAIL ${file.file}: policy=${e.policy} rule=${e.rule} resource=${resourceLabel(e.kind, e.namespace, e.resource)} expected=${e.result} got=${m.got}` +
          (m.message ? `\n     ${m.message.trim().replace(/\n/g, '\n     ')}` : ''),
      );
    }
    for (const n of file.notRun) {
      const e = n.expected;
      lines.push(`SKIP ${file.file}: policy=${e.policy} rule=${e.rule} resource=${resourceLabel(e.kind, e.namespace, e.resource)}: ${n.reason}`);
    }
  }
  if (detailed) {
    for (const file of report.files) {
      lines.push(`${file.failed === 0 ? 'ok  ' : 'FAIL'} ${file.file} (${file.name}): ${file.passed} passed, ${file.failed} failed${file.skipped ? `, ${file.skipped} skipped` : ''}`);
    }
  }
  lines.push(`${report.passed} passed, ${report.failed} failed${report.skipped > 0 ? `, ${report.skipped} skipped` : ''}`);
  return lines.join('\n') + '\n';
}

const command: Command = {
  name: 'test',
  summary: 'Run Kyverno CLI test suites (kyverno-test.yaml) with the built-in engine',
  usage: 'kspec test DIR [--detailed|-v]',
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
    if (positionals.length !== 1) throw new UsageError('expected exactly one DIR argument');
    const dir = positionals[0];
    const detailed = flags.detailed;
    const st = await stat(dir).catch(() => null);
    if (!st || !st.isDirectory()) throw new UsageError(`not a directory: ${dir}`);
    const report = await runKyvernoTests(dir);
    if (report.files.length === 0) {
      io.stderr(`kspec test: no kyverno-test.yaml found under ${dir}\n`);
    }
    io.stdout(formatReport(report, detailed));
    return report.failed > 0 ? 1 : 0;
  },
};

export default command;
