// Offline compliance: kspec's engine over manifests from disk, with each result located at its
// manifest document. Pure: loading the inputs is the caller's business (src/cli/scan-inputs.ts).
import { evaluatePolicy } from '../engine/index.ts';
import type { CompiledPolicy, ResultStatus } from '../engine/index.ts';
import type { Severity } from '../api/types.ts';

export interface ScanPolicy {
  name: string;
  kind: string;
  compiled: CompiledPolicy;
  severity: Severity;
  /** Where the policy came from: the spec file or the policy file. */
  file: string;
  spec?: string;
  specPolicy?: string;
  check?: string;
  /** Validate messages by rule name (autogen rules included), for SARIF rule descriptions. */
  messages: Map<string, string>;
}

export interface ScanResource {
  object: Record<string, unknown>;
  file: string;
  line: number;
}

export interface ScanResult {
  policy: string;
  rule: string;
  result: ResultStatus;
  message: string;
  severity: Severity;
  spec?: string;
  specPolicy?: string;
  check?: string;
  resource: { apiVersion: string; kind: string; namespace?: string; name: string };
  file: string;
  line: number;
}

export interface ScanReport {
  summary: { resources: number; policies: number; pass: number; fail: number; warn: number; error: number; skip: number };
  results: ScanResult[];
}

/** Evaluates every policy against every resource (namespaceSelector sees the Namespaces among the manifests). */
export function scan(policies: ScanPolicy[], resources: ScanResource[], onResource?: () => void): ScanReport {
  const labels = new Map<string, Record<string, string>>();
  for (const r of resources) {
    const meta = r.object.metadata as Record<string, unknown> | undefined;
    if (r.object.kind === 'Namespace' && meta && typeof meta.name === 'string') labels.set(meta.name, (meta.labels as Record<string, string>) ?? {});
  }
  const summary = { resources: resources.length, policies: policies.length, pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  const results: ScanResult[] = [];
  for (const r of resources) {
    for (const p of policies) {
      for (const rr of evaluatePolicy(p.compiled, r.object, { namespaceLabels: (ns) => labels.get(ns) })) {
        summary[rr.result]++;
        if (rr.result === 'skip') continue;
        results.push({
          policy: rr.policy,
          rule: rr.rule,
          result: rr.result,
          message: rr.message,
          severity: p.severity,
          ...(p.spec ? { spec: p.spec, specPolicy: p.specPolicy, check: p.check } : {}),
          resource: { apiVersion: rr.resource.apiVersion, kind: rr.resource.kind, ...(rr.resource.namespace ? { namespace: rr.resource.namespace } : {}), name: rr.resource.name },
          file: r.file,
          line: r.line,
        });
      }
    }
    onResource?.();
  }
  return { summary, results };
}

// ---------- inputs ----------

/** `namespace/Kind/name` of a scanned resource. */
export function resourceLabel(r: ScanResult['resource']): string {
  return [r.namespace, `${r.kind}/${r.name}`].filter(Boolean).join('/');
}

/** A message on one line, for tables and SARIF. */
export function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 159)}…` : flat;
}
