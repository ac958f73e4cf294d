// Report fixtures and helpers shared by the write-back tests.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ComplianceReport, DriftEvent, DriftReport } from '../../src/api/types.ts';

export const KSPEC = { name: 'kspec', email: 'kspec@example.test' };

export function compliance(cluster: string, spec: string, opts: { sourceCommit?: string; timestamp?: string; failing?: string[] } = {}): ComplianceReport {
  const ids = ['pods', 'images', 'network'];
  const failing = new Set(opts.failing ?? ['images']);
  return {
    apiVersion: 'kspec.io/v1alpha1',
    kind: 'ComplianceReport',
    metadata: { name: `${spec}-${cluster}`, namespace: 'kspec-system', resourceVersion: String(Math.random()), uid: 'abc' },
    spec: { clusterRef: { name: cluster }, specRef: { name: spec }, timestamp: opts.timestamp ?? new Date().toISOString(), sourceCommit: opts.sourceCommit ?? 'a'.repeat(40) },
    status: {
      totalPolicies: ids.length,
      compliantPolicies: ids.filter((i) => !failing.has(i)).length,
      violationCount: failing.size,
      complianceScore: (100 * ids.filter((i) => !failing.has(i)).length) / ids.length,
      source: 'engine',
      policyResults: ids.map((id) => ({
        policyID: id,
        status: failing.has(id) ? 'violation' : 'compliant',
        severity: 'high',
        violations: failing.has(id) ? [{ namespace: 'default', resource: 'Pod/web', message: `${id}: image tag | latest not allowed` }] : [],
      })),
    },
  };
}

export const DIFF = `--- desired
+++ live
@@ -4,3 +4,3 @@
 spec:
-  validationFailureAction: Audit
+  validationFailureAction: Enforce
   background: true
`;

export function driftEvent(type: DriftEvent['type'], policyID: string, checkID: string, opts: { detectedAt?: string } = {}): DriftEvent {
  return {
    type, policyID, checkID,
    resourceName: `${policyID}-${checkID}`,
    resourceKind: 'ClusterPolicy',
    message: `${type} policy ${policyID}-${checkID}`,
    detectedAt: opts.detectedAt ?? new Date().toISOString(),
    ...(type === 'modified' ? { diff: DIFF, fields: [{ path: 'spec.validationFailureAction', desired: '"Audit"', live: '"Enforce"' }] } : {}),
  };
}

export function drift(cluster: string, spec: string, events: DriftEvent[], opts: { sourceCommit?: string; timestamp?: string } = {}): DriftReport {
  return {
    apiVersion: 'kspec.io/v1alpha1',
    kind: 'DriftReport',
    metadata: { name: `${spec}-${cluster}`, namespace: 'kspec-system', generation: 3 },
    spec: { clusterRef: { name: cluster }, specRef: { name: spec }, timestamp: opts.timestamp ?? new Date().toISOString(), sourceCommit: opts.sourceCommit ?? 'a'.repeat(40) },
    status: { driftDetected: events.length > 0, driftEvents: events },
  };
}

export async function tempDir(t: { after(fn: () => Promise<void> | void): void }, prefix = 'kspec-wb-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir` (recursively) as text, for scanning. */
export async function allFiles(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out.push({ path: p, text: (await readFile(p)).toString('latin1') });
  }
  return out;
}

/** A logger that keeps every line. */
export function memoryLogger() {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`);
  return { lines, logger: { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') } };
}
