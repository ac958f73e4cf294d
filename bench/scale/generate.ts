// Generates the specifications repository of the scale benchmark from real Kyverno policies: the
// Apache-2.0 policies of the conformance cases in ../shared (read in place, never copied into this
// repository), each one renamed as often as needed to reach the wanted count.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

export const DEFAULT_CONFORMANCE_DIR = '/work/shared/kyverno-conformance';

interface KyvernoPolicyDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** The ClusterPolicies of the conformance cases: one `<case>/<case>.yaml` per case folder. */
export function readSourcePolicies(dir = process.env.KSPEC_CONFORMANCE_DIR ?? DEFAULT_CONFORMANCE_DIR): KyvernoPolicyDoc[] {
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: set KSPEC_CONFORMANCE_DIR to a folder of Kyverno policy cases`);
  const found: KyvernoPolicyDoc[] = [];
  const walk = (folder: string, depth: number) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const sub = join(folder, entry.name);
      const file = join(sub, `${entry.name}.yaml`);
      if (existsSync(file)) {
        const doc = parse(readFileSync(file, 'utf8')) as KyvernoPolicyDoc;
        if (doc?.kind === 'ClusterPolicy' && doc.apiVersion === 'kyverno.io/v1') found.push(doc);
      } else if (depth < 3) walk(sub, depth + 1);
    }
  };
  walk(dir, 0);
  if (found.length === 0) throw new Error(`no kyverno.io/v1 ClusterPolicy found under ${dir}`);
  return found;
}

export interface GeneratedRepo {
  dir: string;
  specs: string[];
  /** Every policy name, by spec. */
  policies: Map<string, string[]>;
}

/**
 * Writes `count` policies spread evenly over `specCount` enforce-mode specifications, all aimed
 * at the in-cluster target `local`, into `dir` (specs/ and targets/).
 */
export function generateRepo(dir: string, count: number, specCount: number, sources = readSourcePolicies()): GeneratedRepo {
  mkdirSync(join(dir, 'specs'), { recursive: true });
  mkdirSync(join(dir, 'targets'), { recursive: true });
  writeFileSync(
    join(dir, 'targets', 'local.yaml'),
    stringify({ apiVersion: 'kspec.io/v1alpha1', kind: 'ClusterTarget', metadata: { name: 'local', namespace: 'kspec-system' }, spec: { inCluster: true, version: '1.20.2' } }),
  );
  const specs: string[] = [];
  const policies = new Map<string, string[]>();
  for (let s = 0; s < specCount; s++) {
    const specName = `scale-${String(s).padStart(2, '0')}`;
    const names: string[] = [];
    const entries = [];
    for (let i = s; i < count; i += specCount) {
      const source = sources[i % sources.length];
      const name = `${source.metadata.name}-${i}`.slice(0, 63);
      names.push(name);
      const renamed = { ...source, metadata: { ...source.metadata, name } };
      entries.push({
        id: `p-${i}`,
        title: source.metadata.annotations?.['policies.kyverno.io/title'] ?? source.metadata.name,
        severity: 'medium',
        checks: [{ id: 'check', kyvernoPolicy: stringify(renamed, { lineWidth: 0 }) }],
      });
    }
    const spec = {
      apiVersion: 'kspec.io/v1alpha1',
      kind: 'ClusterSpecification',
      metadata: { name: specName, namespace: 'kspec-system' },
      spec: { targetClusterRef: { name: 'local' }, enforcementMode: 'enforce', policies: entries },
    };
    writeFileSync(join(dir, 'specs', `${specName}.yaml`), stringify(spec, { lineWidth: 0 }));
    specs.push(specName);
    policies.set(specName, names);
  }
  return { dir, specs, policies };
}
