import { LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import type { LoadedSpec } from '../spec/load.ts';
import type { SpecError } from '../spec/errors.ts';
import type { Check, PolicyDefinition } from '../api/types.ts';
import type { DesiredPolicy, KyvernoPolicy, PolicyKind } from './desired-policy.ts';
import { policyKey } from './desired-policy.ts';
import { withFailureAction } from './failure-action.ts';
import * as own from './ownership.ts';

export interface RenderResult {
  policies: DesiredPolicy[];
  errors: SpecError[];
}

const ALLOWED_KINDS = new Set<PolicyKind>(['ClusterPolicy', 'Policy']);

/**
 * Renders every check of a spec into exactly one Kyverno policy, with ownership labels,
 * provenance annotations and the failure action of the spec's mode. Pure and deterministic.
 */
export function renderSpec(loaded: LoadedSpec, sourceCommit: string): RenderResult {
  const { spec, origin } = loaded;
  const result: RenderResult = { policies: [], errors: [] };
  const names = new Map<string, string>();
  spec.spec.policies.forEach((policy, p) =>
    policy.checks.forEach((check, c) => {
      const line = origin.checkLines.get(`${policy.id}/${check.id}`) ?? origin.line;
      const fail = (message: string, innerLine?: number): void => {
        result.errors.push({
          file: origin.file,
          document: origin.document,
          // A block scalar's content starts on the line after its key.
          line: innerLine ? line + innerLine : line,
          field: `spec.policies[${p}].checks[${c}].kyvernoPolicy`,
          message,
          specName: spec.metadata.name,
          policyId: policy.id,
          checkId: check.id,
        });
      };
      const parsed = parseCheck(check, fail);
      if (!parsed) return;
      const object = decorate(parsed, loaded, policy, check, sourceCommit);
      const key = policyKey(object);
      const clash = names.get(key);
      if (clash) return fail(`renders ${key}, which check ${clash} already renders`);
      names.set(key, `${policy.id}/${check.id}`);
      result.policies.push({ object, specName: spec.metadata.name, policyId: policy.id, checkId: check.id, severity: policy.severity });
    }),
  );
  return result;
}

function parseCheck(check: Check, fail: (message: string, innerLine?: number) => void): KyvernoPolicy | undefined {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(check.kyvernoPolicy, { uniqueKeys: true, lineCounter });
  const list = (Array.isArray(docs) ? docs : [docs]).filter((d) => d.errors.length || d.contents !== null);
  if (list.length !== 1) {
    fail(`must hold exactly one Kyverno policy document, found ${list.length}`);
    return undefined;
  }
  const doc = list[0];
  if (doc.errors.length) {
    const error = doc.errors[0];
    fail(`invalid YAML: ${error.message.split('\n')[0]}`, error.linePos?.[0]?.line);
    return undefined;
  }
  const value = doc.toJS() as Record<string, unknown>;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    fail('must be a YAML mapping holding a Kyverno policy');
    return undefined;
  }
  const { apiVersion, kind, metadata, spec } = value as Partial<KyvernoPolicy>;
  if (apiVersion !== 'kyverno.io/v1' || !ALLOWED_KINDS.has(kind as PolicyKind)) {
    fail(`only kyverno.io/v1 ClusterPolicy or Policy may be rendered, found ${String(apiVersion)} ${String(kind)}`, keyLine(doc, 'kind', lineCounter));
    return undefined;
  }
  if (!metadata || typeof metadata.name !== 'string' || !/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(metadata.name) || metadata.name.length > 253) {
    fail('metadata.name must be a lowercase DNS subdomain');
    return undefined;
  }
  if (kind === 'Policy' && typeof metadata.namespace !== 'string') {
    fail('a namespaced Policy needs metadata.namespace');
    return undefined;
  }
  if (kind === 'ClusterPolicy' && metadata.namespace !== undefined) {
    fail('a ClusterPolicy is cluster-scoped and must not set metadata.namespace');
    return undefined;
  }
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.rules) || spec.rules.length === 0) {
    fail('spec.rules must list at least one rule');
    return undefined;
  }
  return value as unknown as KyvernoPolicy;
}

function keyLine(doc: Document.Parsed, key: string, lineCounter: LineCounter): number | undefined {
  const node = doc.getIn([key], true) as { range?: [number, number, number] } | undefined;
  return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
}

function decorate(parsed: KyvernoPolicy, loaded: LoadedSpec, policy: PolicyDefinition, check: Check, sourceCommit: string): KyvernoPolicy {
  const { spec, origin } = loaded;
  const labels = sortKeys({
    ...(parsed.metadata.labels ?? {}),
    [own.MANAGED_BY]: own.MANAGER,
    [own.SPEC_LABEL]: spec.metadata.name,
    [own.SPEC_NAMESPACE_LABEL]: spec.metadata.namespace ?? 'kspec-system',
    [own.POLICY_LABEL]: policy.id,
    [own.CHECK_LABEL]: check.id,
    [own.SEVERITY_LABEL]: policy.severity,
  });
  const annotations = sortKeys({
    [own.KYVERNO_SEVERITY_ANNOTATION]: policy.severity,
    ...(parsed.metadata.annotations ?? {}),
    [own.POLICY_TITLE_ANNOTATION]: policy.title,
    [own.SOURCE_COMMIT_ANNOTATION]: sourceCommit,
    [own.SOURCE_FILE_ANNOTATION]: origin.file,
  });
  return {
    apiVersion: 'kyverno.io/v1',
    kind: parsed.kind,
    metadata: {
      name: parsed.metadata.name,
      ...(parsed.kind === 'Policy' ? { namespace: parsed.metadata.namespace } : {}),
      labels,
      annotations,
    },
    spec: withFailureAction(parsed.spec, spec.spec.enforcementMode),
  };
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/** Policies that two specs would both render: an error for both, as neither clearly owns it. */
export function findCrossSpecClashes(rendered: Map<string, DesiredPolicy[]>): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const [specKey, policies] of rendered) {
    for (const desired of policies) {
      const key = policyKey(desired.object);
      owners.set(key, [...(owners.get(key) ?? []), specKey]);
    }
  }
  return new Map([...owners].filter(([, specs]) => specs.length > 1));
}
