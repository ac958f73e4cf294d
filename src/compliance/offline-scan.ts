// Offline compliance: kspec's engine over manifests from disk, with each result located at its
// manifest document. Pure: loading the inputs is the caller's business (src/cli/scan-inputs.ts).
import { evaluatePolicy } from '../engine/index.ts';
import type { CompiledPolicy, ResultStatus } from '../engine/index.ts';
import type { Severity } from '../api/types.ts';
import type { FailureAction } from '../render/failure-action.ts';

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
  /** Whether a violation of a rule blocks admission (Enforce) or is only reported (Audit). */
  failureAction(rule: string): FailureAction;
}

export type { FailureAction } from '../render/failure-action.ts';

/** Which violations fail a scan: those of Enforce rules (the default), all of them, or none. */
export type FailOn = 'enforce' | 'any' | 'none';

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
  failureAction: FailureAction;
  spec?: string;
  specPolicy?: string;
  check?: string;
  resource: { apiVersion: string; kind: string; namespace?: string; name: string };
  file: string;
  line: number;
}

export interface ScanSummary {
  resources: number;
  policies: number;
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
  /** Fail and error results that fail the run under `failOn`. */
  failing: number;
  failOn: FailOn;
}

export interface ScanReport {
  summary: ScanSummary;
  results: ScanResult[];
}

/** A scan under way: `results` yields one at a time, and `summary` is complete once they are all read. */
export interface ScanRun {
  summary: ScanSummary;
  results: Iterable<ScanResult>;
}

/** True when this result makes the scan exit 1. */
export function failsRun(result: Pick<ScanResult, 'result' | 'failureAction'>, failOn: FailOn): boolean {
  if (result.result !== 'fail' && result.result !== 'error') return false;
  return failOn === 'any' || (failOn === 'enforce' && result.failureAction === 'Enforce');
}

/**
 * Evaluates every policy against every resource (namespaceSelector sees the Namespaces among the
 * manifests). Results are produced as they are read, so no output has to hold them all.
 */
export function scan(policies: ScanPolicy[], resources: ScanResource[], failOn: FailOn, onResource?: () => void): ScanRun {
  const labels = new Map<string, Record<string, string>>();
  for (const r of resources) {
    const meta = r.object.metadata as Record<string, unknown> | undefined;
    if (r.object.kind === 'Namespace' && meta && typeof meta.name === 'string') labels.set(meta.name, (meta.labels as Record<string, string>) ?? {});
  }
  const summary: ScanSummary = { resources: resources.length, policies: policies.length, pass: 0, fail: 0, warn: 0, error: 0, skip: 0, failing: 0, failOn };
  return { summary, results: evaluateAll(policies, resources, labels, summary, onResource) };
}

function* evaluateAll(policies: ScanPolicy[], resources: ScanResource[], labels: Map<string, Record<string, string>>, summary: ScanSummary, onResource?: () => void): Generator<ScanResult> {
  for (const r of resources) {
    for (const p of policies) {
      for (const rr of evaluatePolicy(p.compiled, r.object, { namespaceLabels: (ns) => labels.get(ns) })) {
        summary[rr.result]++;
        if (rr.result === 'skip') continue;
        const result: ScanResult = {
          policy: rr.policy,
          rule: rr.rule,
          result: rr.result,
          message: rr.message,
          severity: p.severity,
          failureAction: p.failureAction(rr.rule),
          ...(p.spec ? { spec: p.spec, specPolicy: p.specPolicy, check: p.check } : {}),
          resource: { apiVersion: rr.resource.apiVersion, kind: rr.resource.kind, ...(rr.resource.namespace ? { namespace: rr.resource.namespace } : {}), name: rr.resource.name },
          file: r.file,
          line: r.line,
        };
        if (failsRun(result, summary.failOn)) summary.failing++;
        yield result;
      }
    }
    onResource?.();
  }
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
