// SARIF 2.1.0 for GitHub code scanning: one rule per Kyverno policy/rule, results located at the
// manifest document that failed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Severity } from '../api/types.ts';
import { oneLine, resourceLabel } from '../compliance/offline-scan.ts';
import type { ScanPolicy, ScanReport } from '../compliance/offline-scan.ts';

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

/** SARIF 2.1.0: rules are Kyverno policy/rule pairs; results are the fail, error and warn results. */
export function toSarif(report: ScanReport, policies: ScanPolicy[]): Record<string, unknown> {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const ruleIndex = new Map<string, number>();
  const rules: Record<string, unknown>[] = [];
  const results: Record<string, unknown>[] = [];
  for (const r of report.results) {
    const id = `${r.policy}/${r.rule}`;
    if (!ruleIndex.has(id)) {
      const p = byName.get(r.policy);
      const text = p?.messages.get(r.rule)?.trim() || `Kyverno rule ${r.rule} of policy ${r.policy}`;
      ruleIndex.set(id, rules.length);
      rules.push({
        id,
        name: r.rule,
        shortDescription: { text: oneLine(text) },
        fullDescription: { text: p?.specPolicy ? `${text} (spec ${p.spec}, policy ${p.specPolicy}, check ${p.check})` : text },
        defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
        properties: {
          tags: ['kyverno', 'kubernetes', 'security'],
          'security-severity': SECURITY_SEVERITY[r.severity],
          severity: r.severity,
          ...(p?.specPolicy ? { spec: p.spec, specPolicy: p.specPolicy, check: p.check } : {}),
        },
      });
    }
    if (r.result === 'pass') continue;
    const level = r.result === 'warn' ? 'warning' : r.result === 'error' ? 'error' : SARIF_LEVEL[r.severity];
    results.push({
      ruleId: id,
      ruleIndex: ruleIndex.get(id),
      level,
      message: { text: `${resourceLabel(r.resource)}: ${r.result === 'error' ? 'error: ' : ''}${r.message.trim() || `fails ${id}`}` },
      locations: [{ physicalLocation: { artifactLocation: sarifUri(r.file), region: { startLine: r.line } } }],
      partialFingerprints: { 'kspecResource/v1': `${id}|${r.resource.apiVersion}|${r.resource.kind}|${r.resource.namespace ?? ''}|${r.resource.name}` },
      properties: { result: r.result, resource: r.resource },
    });
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'kspec', version: kspecVersion(), rules } },
      results,
      columnKind: 'utf16CodeUnits',
    }],
  };
}

/** Paths relative to the working directory (the repository root in CI), with forward slashes. */
function sarifUri(file: string): { uri: string; uriBaseId?: string } {
  const rel = path.relative(process.cwd(), path.resolve(file));
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
  return { uri: new URL(`file://${path.resolve(file)}`).href };
}
