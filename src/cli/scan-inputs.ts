// The inputs of `kspec scan`: policies from a spec (rendered as kspec would) or from Kyverno
// policy files, and manifests from files or folders, each document with its line. Only regular
// files are read: FIFOs, sockets and devices are passed over with a note.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { UsageError } from './command.ts';
import { readFolder } from '../source/spec-files.ts';
import { DEFAULT_LIMITS } from '../spec/limits.ts';
import { loadSpecs } from '../spec/load.ts';
import { formatSpecError } from '../spec/errors.ts';
import { renderSpecs } from '../render/render.ts';
import { parseYamlDocuments } from '../spec/yaml-documents.ts';
import { compilePolicy, isValidatingPolicy } from '../engine/index.ts';
import type { Severity } from '../api/types.ts';
import type { ScanPolicy, ScanResource } from '../compliance/offline-scan.ts';
import { failureActions } from '../render/failure-action.ts';
import { NotRegularFileError, pathKind, readRegularFile } from '../util/input-file.ts';

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];
const SEVERITY_ANNOTATION = 'policies.kyverno.io/severity';

/** The files to read under `paths`; what is neither a regular file nor a folder gets a note. */
async function collectFiles(paths: string[], what: string, notes: string[]): Promise<string[]> {
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
    const kind = await pathKind(p);
    if (kind === 'missing') throw new UsageError(`${what} ${p} does not exist`);
    if (kind === 'directory') await walk(p);
    else if (kind === 'regular') out.push(p);
    else notes.push(`${p}: not a regular file (${kind}), skipped`);
  }
  return out;
}

/** Reads a file found by collectFiles; a FIFO or device that took a file's place gets a note. */
async function readInput(file: string, notes: string[]): Promise<string | undefined> {
  try {
    return await readRegularFile(file);
  } catch (err) {
    if (!(err instanceof NotRegularFileError)) throw err;
    notes.push(`${err.message}, skipped`);
    return undefined;
  }
}

interface Loaded {
  policies: ScanPolicy[];
  errors: string[];
  /** Inputs passed over (not regular files). */
  notes: string[];
}

export async function specPolicies(specPath: string): Promise<Loaded> {
  const notes: string[] = [];
  // Read as the pass reads a folder: links never leave it, special files and files past the
  // limits are errors of their own.
  const root = path.resolve(specPath);
  if (!existsSync(root)) throw new UsageError(`spec ${specPath} does not exist`);
  const read = readFolder(root, root, DEFAULT_LIMITS);
  const label = (name: string) => (name === root ? specPath : path.join(specPath, name));
  const files = new Map([...read.files].map(([name, text]) => [label(name), text]));
  const load = loadSpecs(files, { readErrors: read.errors.map((e) => ({ ...e, file: label(e.file) })) });
  const errors = load.errors.map(formatSpecError);
  const policies: ScanPolicy[] = [];
  for (const { loaded: spec, ...rendered } of renderSpecs(load.specs, 'local').values()) {
    errors.push(...rendered.errors.map(formatSpecError));
    for (const d of rendered.policies) {
      try {
        policies.push({ ...compiled(d.object), severity: d.severity, file: spec.origin.file, spec: d.specName, specPolicy: d.policyId, check: d.checkId, failureAction: failureActions(d.object as unknown as Record<string, unknown>) });
      } catch (err) {
        errors.push(`${spec.origin.file}: spec ${d.specName} policy ${d.policyId} check ${d.checkId}: ${(err as Error).message}`);
      }
    }
  }
  if (load.specs.length === 0 && errors.length === 0) errors.push(`${specPath}: no ClusterSpecification found`);
  return { policies, errors, notes };
}

export async function kyvernoPolicies(paths: string[]): Promise<Loaded> {
  const policies: ScanPolicy[] = [];
  const errors: string[] = [];
  const notes: string[] = [];
  for (const file of await collectFiles(paths, 'policy', notes)) {
    const text = await readInput(file, notes);
    if (text === undefined) continue;
    for (const doc of documents(file, text, errors)) {
      const v = doc.value;
      const classic = typeof v.apiVersion === 'string' && v.apiVersion.startsWith('kyverno.io/') && (v.kind === 'ClusterPolicy' || v.kind === 'Policy');
      if (!classic && !isValidatingPolicy(v)) continue;
      try {
        const annotations = ((v.metadata as Record<string, unknown> | undefined)?.annotations ?? {}) as Record<string, unknown>;
        const sev = String(annotations[SEVERITY_ANNOTATION] ?? '').toLowerCase() as Severity;
        policies.push({ ...compiled(v), severity: SEVERITIES.includes(sev) ? sev : 'medium', file, failureAction: failureActions(v) });
      } catch (err) {
        errors.push(`${file}:${doc.line}: ${(err as Error).message}`);
      }
    }
  }
  return { policies, errors, notes };
}

function compiled(object: Record<string, unknown> | { metadata: { name: string } }): Pick<ScanPolicy, 'name' | 'kind' | 'compiled' | 'messages'> {
  const c = compilePolicy(object);
  return { name: c.name, kind: c.kind, compiled: c, messages: new Map(c.rules.map((r) => [r.name, r.validation.message])) };
}

interface Doc {
  value: Record<string, unknown>;
  line: number;
}

function documents(file: string, text: string, errors: string[]): Doc[] {
  const out: Doc[] = [];
  for (const doc of parseYamlDocuments(file, text)) {
    if (doc.error) {
      errors.push(`${file}:${doc.error.line}: ${doc.error.message}`);
      continue;
    }
    const value = doc.value;
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const obj = value as Record<string, unknown>;
    // A `kind: List` (kubectl get -o yaml) holds its objects under items.
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      obj.items.forEach((item, i) => {
        if (item && typeof item === 'object' && !Array.isArray(item)) out.push({ value: item as Record<string, unknown>, line: doc.locate(['items', i]).line });
      });
      continue;
    }
    out.push({ value: obj, line: doc.line });
  }
  return out;
}

/** The manifests under `paths`; `onFile(done, total)` reports progress as each file is parsed. */
export async function loadManifests(paths: string[], onFile?: (done: number, total: number) => void): Promise<{ resources: ScanResource[]; errors: string[]; notes: string[] }> {
  const errors: string[] = [];
  const notes: string[] = [];
  const resources: ScanResource[] = [];
  const files = await collectFiles(paths, 'manifest path', notes);
  for (const [i, file] of files.entries()) {
    const text = await readInput(file, notes);
    for (const doc of text === undefined ? [] : documents(file, text, errors)) {
      const { apiVersion, kind } = doc.value;
      if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue;
      // Policies and kspec's own objects next to the manifests are not workloads to check.
      if (apiVersion.startsWith('kyverno.io/') || apiVersion.startsWith('kspec.io/')) continue;
      resources.push({ object: doc.value, file, line: doc.line });
    }
    onFile?.(i + 1, files.length);
  }
  return { resources, errors, notes };
}

