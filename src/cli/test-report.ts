// The outputs of `kspec test`: text for people, JSON for scripts and JUnit XML for CI systems
// (GitLab, Jenkins, GitHub test reporters), and the one rule that decides whether the run passed.
import type { ExpectedResult, SuiteReport, TestFileReport } from '../engine/kyverno-test.ts';
import { terminalSafe } from '../util/terminal-text.ts';

/**
 * Why the run fails even though no expectation was wrong, if it does: a test file that did not
 * load, or nothing to run at all, is a failure, never a silent pass.
 */
export function suiteProblems(report: SuiteReport): string[] {
  const problems: string[] = [];
  const broken = report.files.filter((f) => f.errors.length > 0).length;
  if (broken) problems.push(`${broken} test file${broken === 1 ? '' : 's'} with errors`);
  if (report.files.length === 0) problems.push('no kyverno-test.yaml found');
  else if (report.passed + report.failed + report.skipped === 0) problems.push('no test results to check');
  return problems;
}

export function suitePassed(report: SuiteReport): boolean {
  return report.failed === 0 && suiteProblems(report).length === 0;
}

function resourceLabel(e: ExpectedResult): string {
  return [e.kind, e.namespace, e.resource].filter((s) => s).join('/');
}

function caseName(e: ExpectedResult): string {
  return `policy=${e.policy} rule=${e.rule} resource=${resourceLabel(e)}${e.operation ? ` operation=${e.operation}` : ''}`;
}

export function formatText(report: SuiteReport, detailed: boolean): string {
  const lines: string[] = [];
  for (const file of report.files) {
    for (const err of file.errors) lines.push(`${file.file}: error: ${err}`);
    for (const m of file.mismatches) {
      lines.push(
        `FAIL ${file.file}: ${caseName(m.expected)} expected=${m.expected.result} got=${m.got}` +
          (m.message ? `\n     ${m.message.trim().replace(/\n/g, '\n     ')}` : ''),
      );
    }
    for (const n of file.notRun) lines.push(`SKIP ${file.file}: ${caseName(n.expected)}: ${n.reason}`);
  }
  if (detailed) {
    for (const file of report.files) {
      lines.push(`${file.failed === 0 && file.errors.length === 0 ? 'ok  ' : 'FAIL'} ${file.file} (${file.name}): ${file.passed} passed, ${file.failed} failed${file.skipped ? `, ${file.skipped} skipped` : ''}`);
    }
  }
  const problems = suiteProblems(report);
  lines.push(`${report.passed} passed, ${report.failed} failed${report.skipped > 0 ? `, ${report.skipped} skipped` : ''}${problems.length ? `; ${problems.join(', ')}` : ''}`);
  return terminalSafe(lines.join('\n')) + '\n';
}

export function formatJson(report: SuiteReport): string {
  const files = report.files.map(({ passes: _passes, ...file }) => file);
  return JSON.stringify({ passed: suitePassed(report), problems: suiteProblems(report), summary: { passed: report.passed, failed: report.failed, skipped: report.skipped, files: report.files.length }, files, notes: report.notes }, null, 2) + '\n';
}

// XML 1.0 cannot carry most control characters even as references: they are dropped.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;

function xml(text: string): string {
  return text.replace(XML_INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JUnit XML: a testsuite per Test file, a testcase per expected result, an error case for a file that did not load. */
export function formatJunit(report: SuiteReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const errors = report.files.reduce((n, f) => n + f.errors.length, 0);
  const tests = report.passed + report.failed + report.skipped + errors;
  out.push(`<testsuites name="kspec test" tests="${tests}" failures="${report.failed}" errors="${errors}" skipped="${report.skipped}">`);
  for (const file of report.files) out.push(...junitSuite(file));
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function junitSuite(file: TestFileReport): string[] {
  const className = xml(file.file);
  const tests = file.passed + file.failed + file.skipped + file.errors.length;
  const lines = [`  <testsuite name="${xml(file.name || file.file)}" file="${className}" tests="${tests}" failures="${file.failed}" errors="${file.errors.length}" skipped="${file.skipped}">`];
  const testcase = (name: string, body?: string) =>
    lines.push(body === undefined ? `    <testcase classname="${className}" name="${xml(name)}"/>` : `    <testcase classname="${className}" name="${xml(name)}">\n      ${body}\n    </testcase>`);
  for (const err of file.errors) testcase('load', `<error message="${xml(err)}"/>`);
  for (const e of file.passes) testcase(caseName(e));
  for (const m of file.mismatches) {
    testcase(caseName(m.expected), `<failure message="expected ${xml(m.expected.result)}, got ${xml(m.got)}">${xml(m.message)}</failure>`);
  }
  for (const n of file.notRun) testcase(caseName(n.expected), `<skipped message="${xml(n.reason)}"/>`);
  lines.push('  </testsuite>');
  return lines;
}
