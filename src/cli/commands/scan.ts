// `kspec scan`: offline compliance of manifests against a spec's rendered policies or Kyverno
// policy files, with kspec's engine. Output as a table, JSON, YAML or SARIF 2.1.0 (for GitHub
// code scanning: one rule per Kyverno policy/rule, results located at the manifest document).
// Exit 0 when nothing fails, 1 when a result is fail or error, 2 on a usage or input error.
import { readdir, readFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseAllDocuments, isSeq, isMap, isScalar } from 'yaml';
import type { Node } from 'yaml';
import { parseFlags, processIO, UsageError } from '../command.ts';
import type { Command, CommandIO } from '../command.ts';
import { serialize, table } from '../format.ts';
import { loadSpecs } from '../../spec/load.ts';
import { formatSpecError } from '../../spec/errors.ts';
import { renderSpec } from '../../render/render.ts';
import { compilePolicy, evaluatePolicy } from '../../engine/index.ts';
import type { CompiledPolicy, ResultStatus } from '../../engine/index.ts';
import type { Severity } from '../../api/types.ts';

const flagSpec = {
  spec: { type: 'string' },
  policy: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o', default: 'table' },
} as const;

type Format = 'table' | 'json' | 'yaml' | 'sarif';
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];
const SEVERITY_ANNOTATION = 'policies.kyverno.io/severity';

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

const command: Command = {
  name: 'scan',
  summary: 'Check manifests offline against a spec or Kyverno policies; exit 1 when anything fails',
  usage: 'kspec scan [--spec PATH | --policy FILE_OR_DIR ...] [-o table|json|yaml|sarif] MANIFEST_PATH...',
  async run(argv: string[], io: CommandIO): Promise<number> {
    let format: Format;
    let policies: ScanPolicy[];
    let resources: ScanResource[];
    try {
      const { flags, positionals } = parseFlags(argv, flagSpec, io.env);
      const policyPaths = flags.policy === undefined ? [] : Array.isArray(flags.policy) ? (flags.policy as string[]) : [flags.policy];
      if (!flags.spec && policyPaths.length === 0) throw new UsageError('give --spec PATH or --policy FILE_OR_DIR');
      if (flags.spec && policyPaths.length) throw new UsageError('--spec and --policy cannot be combined');
      if (positionals.length === 0) throw new UsageError('give at least one MANIFEST_PATH (file or folder)');
      const output = flags.output ?? 'table';
      if (output !== 'table' && output !== 'json' && output !== 'yaml' && output !== 'sarif') throw new UsageError(`--output must be table, json, yaml or sarif, not ${JSON.stringify(output)}`);
      format = output;
      const loaded = flags.spec ? await specPolicies(flags.spec) : await kyvernoPolicies(policyPaths);
      if (loaded.errors.length) {
        for (const e of loaded.errors) io.stderr(`${e}\n`);
        return 2;
      }
      if (loaded.policies.length === 0) throw new UsageError(`no Kyverno policies found in ${flags.spec ?? policyPaths.join(', ')}`);
      policies = loaded.policies;
      const manifests = await loadManifests(positionals);
      if (manifests.errors.length) {
        for (const e of manifests.errors) io.stderr(`${e}\n`);
        return 2;
      }
      resources = manifests.resources;
    } catch (err) {
      if (err instanceof UsageError) {
        io.stderr(`kspec scan: ${err.message}\nUsage: ${command.usage}\n`);
        return 2;
      }
      throw err;
    }
    const progress = new ProgressBar(io, resources.length);
    const report = scan(policies, resources, () => progress.tick());
    progress.done();
    io.stdout(format === 'sarif' ? JSON.stringify(toSarif(report, policies), null, 2) + '\n' : format === 'table' ? formatTable(report) : serialize(report, format));
    return report.summary.fail + report.summary.error > 0 ? 1 : 0;
  },
};

export default command;

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

async function specPolicies(specPath: string): Promise<Loaded> {
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

async function kyvernoPolicies(paths: string[]): Promise<Loaded> {
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

async function loadManifests(paths: string[]): Promise<{ resources: ScanResource[]; errors: string[] }> {
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

function resourceLabel(r: ScanResult['resource']): string {
  return [r.namespace, `${r.kind}/${r.name}`].filter(Boolean).join('/');
}

function formatTable(report: ScanReport): string {
  const rows = report.results
    .filter((r) => r.result !== 'pass')
    .map((r) => [r.result.toUpperCase(), r.severity, `${r.policy}/${r.rule}`, resourceLabel(r.resource), `${r.file}:${r.line}`, oneLine(r.message)]);
  const s = report.summary;
  const summary = `${s.resources} resources, ${s.policies} policies: ${s.pass} passed, ${s.fail} failed, ${s.warn} warnings, ${s.error} errors, ${s.skip} skipped\n`;
  return (rows.length ? table(['RESULT', 'SEVERITY', 'POLICY/RULE', 'RESOURCE', 'LOCATION', 'MESSAGE'], rows) + '\n' : '') + summary;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 159)}…` : flat;
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
/** GitHub code scanning ranks security alerts by `security-severity` (0-10). */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '7.5', medium: '5.0', low: '2.0' };

function kspecVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
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

// ---------- progress ----------

/**
 * A progress bar on stderr, only when stderr is a terminal (never in pipes, CI logs or tests
 * unless the io says it is a TTY) and only once a scan has run for half a second. Own code rather
 * than a dependency: it is 30 lines and needs nothing a library would add.
 */
export class ProgressBar {
  readonly #io: CommandIO;
  readonly #total: number;
  readonly #enabled: boolean;
  readonly #delayMs: number;
  readonly #started = Date.now();
  #done = 0;
  #drawnAt = 0;
  #drawn = false;

  constructor(io: CommandIO, total: number, options: { delayMs?: number } = {}) {
    this.#io = io;
    this.#delayMs = options.delayMs ?? 500;
    this.#total = total;
    const tty = (io as CommandIO & { stderrIsTTY?: boolean }).stderrIsTTY ?? (io.stderr === processIO.stderr && process.stderr.isTTY === true);
    this.#enabled = tty && total > 0;
  }

  tick(): void {
    this.#done++;
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#started < this.#delayMs || (this.#drawn && now - this.#drawnAt < 100 && this.#done < this.#total)) return;
    this.#drawnAt = now;
    this.#draw();
  }

  #draw(): void {
    const width = 30;
    const ratio = this.#total ? this.#done / this.#total : 1;
    const filled = Math.round(ratio * width);
    this.#io.stderr(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${this.#done}/${this.#total} resources`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.#io.stderr('\r\x1b[K');
  }
}
