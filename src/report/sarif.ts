// SARIF 2.1.0 for GitHub code scanning: one rule per Kyverno policy/rule, results located at the
// manifest document that failed. Written as the scan produces results, so its size is not bound
// by what one string can hold.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Severity } from '../api/types.ts';
import { failsRun, oneLine, resourceLabel } from '../compliance/offline-scan.ts';
import type { FailOn, ScanPolicy, ScanResult, ScanRun } from '../compliance/offline-scan.ts';

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
/** GitHub code scanning ranks security alerts by `security-severity` (0-10). */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '7.5', medium: '5.0', low: '2.0' };

function kspecVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * Writes SARIF 2.1.0 through `write`: rules are Kyverno policy/rule pairs; results are the fail,
 * error and warn results. A result's level is `error` when it fails the run under `failOn`
 * (by default a violation of an Enforce rule) and `warning` otherwise (Audit rules, warn results).
 */
export function writeSarif(run: ScanRun, policies: ScanPolicy[], write: (text: string) => void): void {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const ruleIndex = new Map<string, number>();
  const rules: Record<string, unknown>[] = [];
  write(`{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",\n  "version": "2.1.0",\n  "runs": [\n    {\n      "results": [`);
  let first = true;
  for (const r of run.results) {
    const id = `${r.policy}/${r.rule}`;
    if (!ruleIndex.has(id)) {
      ruleIndex.set(id, rules.length);
      rules.push(sarifRule(r, byName.get(r.policy)));
    }
    if (r.result === 'pass') continue;
    write(`${first ? '' : ','}\n${indent(JSON.stringify(sarifResult(r, ruleIndex.get(id)!, run.summary.failOn), null, 2), 8)}`);
    first = false;
  }
  const tool = { driver: { name: 'kspec', version: kspecVersion(), rules } };
  write(`${first ? '' : '\n      '}],\n      "tool": ${indent(JSON.stringify(tool, null, 2), 6).trimStart()},\n      "columnKind": "utf16CodeUnits"\n    }\n  ]\n}\n`);
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text.replace(/^/gm, pad);
}

function sarifRule(r: ScanResult, p: ScanPolicy | undefined): Record<string, unknown> {
  const text = p?.messages.get(r.rule)?.trim() || `Kyverno rule ${r.rule} of policy ${r.policy}`;
  return {
    id: `${r.policy}/${r.rule}`,
    name: r.rule,
    shortDescription: { text: oneLine(text) },
    fullDescription: { text: p?.specPolicy ? `${text} (spec ${p.spec}, policy ${p.specPolicy}, check ${p.check})` : text },
    defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
    properties: {
      tags: ['kyverno', 'kubernetes', 'security'],
      'security-severity': SECURITY_SEVERITY[r.severity],
      severity: r.severity,
      failureAction: r.failureAction,
      ...(p?.specPolicy ? { spec: p.spec, specPolicy: p.specPolicy, check: p.check } : {}),
    },
  };
}

function sarifResult(r: ScanResult, index: number, failOn: FailOn): Record<string, unknown> {
  const id = `${r.policy}/${r.rule}`;
  return {
    ruleId: id,
    ruleIndex: index,
    level: failsRun(r, failOn) ? 'error' : 'warning',
    message: { text: `${resourceLabel(r.resource)}: ${r.result === 'error' ? 'error: ' : ''}${r.message.trim() || `fails ${id}`}` },
    locations: [{ physicalLocation: { artifactLocation: sarifUri(r.file), region: { startLine: r.line } } }],
    partialFingerprints: { 'kspecResource/v1': `${id}|${r.resource.apiVersion}|${r.resource.kind}|${r.resource.namespace ?? ''}|${r.resource.name}` },
    properties: { result: r.result, failureAction: r.failureAction, resource: r.resource },
  };
}

/** Paths relative to the working directory (the repository root in CI), with forward slashes. */
function sarifUri(file: string): { uri: string; uriBaseId?: string } {
  const rel = path.relative(process.cwd(), path.resolve(file));
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
  return { uri: new URL(`file://${path.resolve(file)}`).href };
}
