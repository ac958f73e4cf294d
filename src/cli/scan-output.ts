// The outputs of `kspec scan`, each written as results arrive: a table for people, JSON and YAML
// for scripts, SARIF for code scanning (src/report/sarif.ts). Nothing here builds the whole
// output as one string.
import { stringify } from 'yaml';
import { ChunkedOutput } from './chunked-output.ts';
import { failsRun, oneLine, resourceLabel } from '../compliance/offline-scan.ts';
import type { ScanPolicy, ScanRun, ScanSummary } from '../compliance/offline-scan.ts';
import { writeSarif } from '../report/sarif.ts';
import { terminalSafeCell } from '../util/terminal-text.ts';

export type ScanFormat = 'table' | 'json' | 'yaml' | 'sarif';

export function writeScan(run: ScanRun, policies: ScanPolicy[], format: ScanFormat, write: (text: string) => void): void {
  const out = new ChunkedOutput(write);
  const emit = (text: string) => out.write(text);
  if (format === 'sarif') writeSarif(run, policies, emit);
  else if (format === 'json') writeJson(run, emit);
  else if (format === 'yaml') writeYaml(run, emit);
  else writeTable(run, emit);
  out.end();
}

/** `{"results": [...], "summary": {...}}`: the summary comes last, when it is known. */
function writeJson(run: ScanRun, write: (text: string) => void): void {
  write('{\n  "results": [');
  let first = true;
  for (const r of run.results) {
    write(`${first ? '' : ','}\n    ${JSON.stringify(r, null, 2).replace(/\n/g, '\n    ')}`);
    first = false;
  }
  write(`${first ? '' : '\n  '}],\n  "summary": ${JSON.stringify(run.summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`);
}

function writeYaml(run: ScanRun, write: (text: string) => void): void {
  let first = true;
  for (const r of run.results) {
    if (first) write('results:\n');
    first = false;
    write(`  -${yamlMapping(r as unknown as Record<string, unknown>, 4).slice(3)}`);
  }
  if (first) write('results: []\n');
  write(stringify({ summary: run.summary }, { lineWidth: 0 }));
}

/**
 * A result as a block mapping. The general YAML library costs about 0.3 ms a result, which is a
 * minute for 200,000 of them; results are flat records of strings and numbers, so they are written
 * directly: a string is plain when it cannot be read as anything else, and otherwise a JSON
 * string, which is also a valid YAML double-quoted scalar.
 */
function yamlMapping(value: Record<string, unknown>, indent: number): string {
  const pad = ' '.repeat(indent);
  let out = '';
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object') out += `${pad}${key}:\n${yamlMapping(v as Record<string, unknown>, indent + 2)}`;
    else out += `${pad}${key}: ${yamlScalar(v)}\n`;
  }
  return out;
}

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
const RESERVED_WORDS = /^(true|false|null|yes|no|on|off|y|n)$/i;

function yamlScalar(v: unknown): string {
  if (typeof v === 'string') return PLAIN.test(v) && !RESERVED_WORDS.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? 'null';
}

const HEADERS = ['RESULT', 'SEVERITY', 'POLICY/RULE', 'RESOURCE', 'LOCATION', 'MESSAGE'];

/**
 * The violations as an aligned table (the widths need every row, so the rows of non-passing
 * results are kept, as short cells; passing results are not), then the summary. A violation that
 * does not fail the run (an Audit rule under the default --fail-on enforce) shows as WARN.
 * Every cell is made safe for a terminal: inputs cannot send escape sequences through it.
 */
function writeTable(run: ScanRun, write: (text: string) => void): void {
  const rows: string[][] = [];
  const widths = HEADERS.map((h) => h.length);
  for (const r of run.results) {
    if (r.result === 'pass') continue;
    const shown = r.result === 'fail' && !failsRun(r, run.summary.failOn) ? 'warn' : r.result;
    const row = [shown.toUpperCase(), r.severity, `${r.policy}/${r.rule}`, resourceLabel(r.resource), `${r.file}:${r.line}`, oneLine(r.message)].map(terminalSafeCell);
    row.forEach((cell, i) => { if (cell.length > widths[i]) widths[i] = cell.length; });
    rows.push(row);
  }
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd() + '\n';
  if (rows.length) {
    write(line(HEADERS));
    for (const row of rows) write(line(row));
    write('\n');
  }
  write(summaryLines(run.summary));
}

function summaryLines(s: ScanSummary): string {
  const lines = [`${s.resources} resources, ${s.policies} policies: ${s.pass} passed, ${s.fail} failed, ${s.warn} warnings, ${s.error} errors, ${s.skip} skipped`];
  const notFailing = s.fail + s.error - s.failing;
  if (notFailing > 0 && s.failOn === 'enforce') lines.push(`${notFailing} of the ${s.fail + s.error} failures are in Audit rules: shown as WARN, they do not fail the run (--fail-on any makes them)`);
  if (notFailing > 0 && s.failOn === 'none') lines.push('--fail-on none: violations do not fail the run');
  return lines.join('\n') + '\n';
}
