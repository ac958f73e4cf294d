// The inputs of `kspec scan`: policies from a spec (rendered as kspec would) or from Kyverno
// policy files, and manifests from files or folders, each document with its line.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments, isSeq, isMap, isScalar } from 'yaml';
import type { Node } from 'yaml';
import { UsageError } from './command.ts';
import { loadSpecs } from '../spec/load.ts';
import { formatSpecError } from '../spec/errors.ts';
import { renderSpec } from '../render/render.ts';
import { compilePolicy } from '../engine/index.ts';
import type { Severity } from '../api/types.ts';
import type { ScanPolicy, ScanResource } from '../compliance/offline-scan.ts';

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];
const SEVERITY_ANNOTATION = 'policies.kyverno.io/severity';

async function collectFiles(paths: string[], what: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (/\.(ya?ml|json)$/i.test(entry.name)) out.push(full);
    }
  };
  for (const p of paths) {
    const st = await stat(p).catch(() => null);
    if (!st) throw new UsageError(`${what} ${p} does not exist`);
    if (st.isDirectory()) await walk(p);
    else out.push(p);
  }
  return out;
}

interface Loaded {
  policies: ScanPolicy[];
  errors: string[];
}

export async function specPolicies(specPath: string): Promise<Loaded> {
  const files = new Map<string, string>();
  for (const f of await collectFiles([specPath], 'spec')) files.set(f, await readFile(f, 'utf8'));
  const load = loadSpecs(files);
  const errors = load.errors.map(formatSpecError);
  const policies: ScanPolicy[] = [];
  for (const spec of load.specs) {
    const rendered = renderSpec(spec, 'local');
    errors.push(...rendered.errors.map(formatSpecError));
    for (const d of rendered.policies) {
      try {
        policies.push({ ...compiled(d.object), severity: d.severity, file: spec.origin.file, spec: d.specName, specPolicy: d.policyId, check: d.checkId });
      } catch (err) {
        errors.push(`${spec.origin.file}: spec ${d.specName} policy ${d.policyId} check ${d.checkId}: ${(err as Error).message}`);
      }
    }
  }
  if (load.specs.length === 0 && errors.length === 0) errors.push(`${specPath}: no ClusterSpecification found`);
  return { policies, errors };
}

export async function kyvernoPolicies(paths: string[]): Promise<Loaded> {
  const policies: ScanPolicy[] = [];
  const errors: string[] = [];
  for (const file of await collectFiles(paths, 'policy')) {
    for (const doc of await documents(file, errors)) {
      const v = doc.value;
      if (typeof v.apiVersion !== 'string' || !v.apiVersion.startsWith('kyverno.io/') || (v.kind !== 'ClusterPolicy' && v.kind !== 'Policy')) continue;
      try {
        const annotations = ((v.metadata as Record<string, unknown> | undefined)?.annotations ?? {}) as Record<string, unknown>;
        const sev = String(annotations[SEVERITY_ANNOTATION] ?? '').toLowerCase() as Severity;
        policies.push({ ...compiled(v), severity: SEVERITIES.includes(sev) ? sev : 'medium', file });
      } catch (err) {
        errors.push(`${file}:${doc.line}: ${(err as Error).message}`);
      }
    }
  }
  return { policies, errors };
}

function compiled(object: Record<string, unknown> | { metadata: { name: string } }): Pick<ScanPolicy, 'name' | 'kind' | 'compiled' | 'messages'> {
  const c = compilePolicy(object);
  return { name: c.name, kind: c.kind, compiled: c, messages: new Map(c.rules.map((r) => [r.name, r.validation.message])) };
}

interface Doc {
  value: Record<string, unknown>;
  line: number;
}

async function documents(file: string, errors: string[]): Promise<Doc[]> {
  const text = await readFile(file, 'utf8');
  const lineCounter = new LineCounter();
  const out: Doc[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter, prettyErrors: false })) {
    if (doc.errors.length) {
      const e = doc.errors[0];
      errors.push(`${file}:${lineCounter.linePos(e.pos[0]).line}: invalid YAML: ${e.message.split('\n')[0]}`);
      continue;
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const start = (node: Node | null | undefined) => lineCounter.linePos(node?.range?.[0] ?? 0).line;
    const obj = value as Record<string, unknown>;
    // A `kind: List` (kubectl get -o yaml) holds its objects under items.
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items) && isMap(doc.contents)) {
      const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'items');
      const nodes = isSeq(pair?.value) ? pair.value.items : [];
      obj.items.forEach((item, i) => {
        if (item && typeof item === 'object' && !Array.isArray(item)) out.push({ value: item as Record<string, unknown>, line: start(nodes[i] as Node | undefined) });
      });
      continue;
    }
    out.push({ value: obj, line: start(doc.contents as Node | null) });
  }
  return out;
}

export async function loadManifests(paths: string[]): Promise<{ resources: ScanResource[]; errors: string[] }> {
  const errors: string[] = [];
  const resources: ScanResource[] = [];
  for (const file of await collectFiles(paths, 'manifest path')) {
    for (const doc of await documents(file, errors)) {
      const { apiVersion, kind } = doc.value;
      if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue;
      // Policies and kspec's own objects next to the manifests are not workloads to check.
      if (apiVersion.startsWith('kyverno.io/') || apiVersion.startsWith('kspec.io/')) continue;
      resources.push({ object: doc.value, file, line: doc.line });
    }
  }
  return { resources, errors };
}

// ---------- outputs ----------
