import type { CheckPlace, LoadedSpec } from '../spec/load.ts';
import { specKey } from '../spec/load.ts';
import type { SpecError } from '../spec/errors.ts';
import { fieldPath, lineOf } from '../spec/errors.ts';
import { readPolicyText } from '../spec/policy-text.ts';
import type { LiteralBlock } from '../spec/yaml-documents.ts';
import { validateKyvernoPolicy } from './kyverno-schema.ts';
import { DEFAULT_RENDER_RULES, ruleProblems } from './render-rules.ts';
import type { RenderRules } from './render-rules.ts';
import type { Check, PolicyDefinition } from '../api/types.ts';
import type { DesiredPolicy, KyvernoPolicy, PolicyKind } from './desired-policy.ts';
import { policyKey, VALIDATING_POLICY_API_VERSIONS } from './desired-policy.ts';
import { withFailureAction } from './failure-action.ts';
import { withValidationActions } from './validation-actions.ts';
import * as own from './ownership.ts';

export interface RenderResult {
  policies: DesiredPolicy[];
  errors: SpecError[];
}

const ALLOWED_KINDS = new Set<PolicyKind>(['ClusterPolicy', 'Policy']);
/** Problems reported per check; past this, one line says how many more there are. */
const MAX_PROBLEMS_PER_CHECK = 20;

/** A position inside a check's policy text; `syntax` when the text itself is not valid YAML there. */
interface InnerPosition {
  line: number;
  column: number;
  syntax?: boolean;
}

type Fail = (message: string, inner?: InnerPosition, innerField?: string) => void;

/**
 * Renders every spec of a commit, keyed by `namespace/name`, with the errors that belong to
 * each, including policies that two specs would both render. The one path from loaded specs to
 * desired policies: validate, render, scan, plan and the pass all go through it, so they cannot
 * disagree on what is valid. Pure and deterministic.
 */
export function renderSpecs(specs: LoadedSpec[], sourceCommit: string, rules: RenderRules = DEFAULT_RENDER_RULES): Map<string, RenderResult & { loaded: LoadedSpec }> {
  const rendered = new Map<string, RenderResult & { loaded: LoadedSpec }>();
  for (const loaded of specs) rendered.set(specKey(loaded.spec.metadata), { loaded, ...renderSpec(loaded, sourceCommit, rules) });
  for (const [policy, owners] of findCrossSpecClashes(new Map([...rendered].map(([key, r]) => [key, r.policies])))) {
    for (const owner of owners) {
      const { loaded, policies, errors } = rendered.get(owner)!;
      const desired = policies.find((d) => policyKey(d.object) === policy)!;
      const line = checkPlace(loaded, desired.policyId, desired.checkId)?.line ?? loaded.origin.line;
      errors.push({
        file: loaded.origin.file,
        document: loaded.origin.document,
        line,
        message: `${policy} is also rendered by ${owners.filter((o) => o !== owner).join(', ')}`,
        specName: loaded.spec.metadata.name,
      });
    }
  }
  return rendered;
}

function isValidatingPolicy(apiVersion: unknown, kind: unknown): boolean {
  return kind === 'ValidatingPolicy' && VALIDATING_POLICY_API_VERSIONS.includes(String(apiVersion));
}

/**
 * Renders every check of a spec into exactly one Kyverno policy, with ownership labels,
 * provenance annotations and the failure action of the spec's mode. Pure and deterministic.
 */
export function renderSpec(loaded: LoadedSpec, sourceCommit: string, rules: RenderRules = DEFAULT_RENDER_RULES): RenderResult {
  const { spec, origin } = loaded;
  const result: RenderResult = { policies: [], errors: [] };
  const names = new Map<string, string>();
  spec.spec.policies.forEach((policy, p) =>
    policy.checks.forEach((check, c) => {
      const fail: Fail = (message, inner, innerField) => {
        const place = origin.locateCheck?.(p, c);
        result.errors.push({
          file: origin.file,
          document: origin.document,
          ...placeInFile(place?.line ?? origin.line, place?.block, check.kyvernoPolicy, inner, message),
          field: `spec.policies[${p}].checks[${c}].kyvernoPolicy${innerField ? ` ${innerField}` : ''}`,
          specName: spec.metadata.name,
          policyId: policy.id,
          checkId: check.id,
        });
      };
      const parsed = parseCheck(check, fail, rules);
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

/** Where a check's kyvernoPolicy is in the spec's file, by the ids of its policy and check. */
function checkPlace(loaded: LoadedSpec, policyId: string, checkId: string): CheckPlace | undefined {
  const p = loaded.spec.spec.policies.findIndex((policy) => policy.id === policyId);
  const c = p < 0 ? -1 : loaded.spec.spec.policies[p].checks.findIndex((check) => check.id === checkId);
  return c < 0 ? undefined : loaded.origin.locateCheck?.(p, c);
}

/**
 * Where a problem inside a check's policy text is in the repository file. In a literal block
 * (`kyvernoPolicy: |`) the text's lines are the file's lines, shifted by the block's first line and
 * indentation, so the error gets the file's line, column and, for invalid YAML, the file's line as
 * snippet. In any other style (folded, quoted) they are not: the error points at the key and says
 * where in the text it is.
 */
function placeInFile(keyLine: number, block: LiteralBlock | undefined, text: string, inner: InnerPosition | undefined, message: string): Pick<SpecError, 'line' | 'column' | 'message' | 'snippet'> {
  if (!inner) return { line: keyLine, message };
  if (!block) return { line: keyLine, message: `${message} (line ${inner.line}, column ${inner.column} of the policy text)` };
  return {
    line: block.firstLine + inner.line - 1,
    column: block.indent + inner.column,
    message,
    ...(inner.syntax ? { snippet: ' '.repeat(block.indent) + lineOf(text, inner.line) } : {}),
  };
}

function parseCheck(check: Check, fail: Fail, rules: RenderRules): KyvernoPolicy | undefined {
  const doc = readPolicyText(check.kyvernoPolicy);
  if (doc.documents !== 1) {
    fail(`must hold exactly one Kyverno policy document, found ${doc.documents}`);
    return undefined;
  }
  if (doc.error) {
    fail(doc.error.message, { line: doc.error.line, column: doc.error.column, syntax: true });
    return undefined;
  }
  const value = doc.value as Record<string, unknown>;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    fail('must be a YAML mapping holding a Kyverno policy');
    return undefined;
  }
  const { apiVersion, kind, metadata, spec } = value as Partial<KyvernoPolicy>;
  const validatingPolicy = isValidatingPolicy(apiVersion, kind);
  if (!validatingPolicy && (apiVersion !== 'kyverno.io/v1' || !ALLOWED_KINDS.has(kind as PolicyKind))) {
    fail(
      `only kyverno.io/v1 ClusterPolicy or Policy, or policies.kyverno.io (v1alpha1, v1beta1, v1) ValidatingPolicy may be rendered, found ${String(apiVersion)} ${String(kind)}`,
      doc.locate(['kind']),
    );
    return undefined;
  }
  const problems = validatingPolicy ? validatingPolicyProblems(value) : validateKyvernoPolicy(kind as PolicyKind, value);
  if (problems.length === 0 && kind === 'Policy' && typeof metadata?.namespace !== 'string') {
    problems.push({ path: ['metadata', 'namespace'], message: 'a namespaced Policy needs metadata.namespace' });
  }
  if (problems.length === 0 && kind === 'ClusterPolicy' && metadata?.namespace !== undefined) {
    problems.push({ path: ['metadata', 'namespace'], message: 'a ClusterPolicy is cluster-scoped and must not set metadata.namespace' });
  }
  if (problems.length === 0 && !validatingPolicy && (!Array.isArray(spec?.rules) || spec.rules.length === 0)) {
    problems.push({ path: ['spec', 'rules'], message: 'spec.rules must list at least one rule' });
  }
  if (problems.length === 0 && !validatingPolicy) problems.push(...ruleProblems(value as unknown as KyvernoPolicy, rules));
  for (const problem of problems.slice(0, MAX_PROBLEMS_PER_CHECK)) fail(problem.message, doc.locate(problem.path), fieldPath(problem.path) || undefined);
  if (problems.length > MAX_PROBLEMS_PER_CHECK) fail(`and ${problems.length - MAX_PROBLEMS_PER_CHECK} more problems in this policy`);
  return problems.length ? undefined : (value as unknown as KyvernoPolicy);
}

/** A ValidatingPolicy's own requirements: cluster-scoped, with matchConstraints and validations. */
function validatingPolicyProblems(value: Record<string, unknown>): Array<{ path: string[]; message: string }> {
  const metadata = (value.metadata ?? {}) as Record<string, unknown>;
  const spec = value.spec as Record<string, unknown> | undefined;
  const problems: Array<{ path: string[]; message: string }> = [];
  if (typeof metadata.name !== 'string' || !/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(metadata.name)) problems.push({ path: ['metadata', 'name'], message: 'metadata.name must be a lowercase DNS subdomain' });
  if (metadata.namespace !== undefined) problems.push({ path: ['metadata', 'namespace'], message: 'a ValidatingPolicy is cluster-scoped and must not set metadata.namespace' });
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.validations) || spec.validations.length === 0) {
    problems.push({ path: ['spec'], message: 'spec.validations must list at least one validation' });
  } else if (typeof spec.matchConstraints !== 'object' || spec.matchConstraints === null) {
    problems.push({ path: ['spec'], message: 'spec.matchConstraints is required: it says which resources the ValidatingPolicy checks' });
  }
  return problems;
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
  const mode = spec.spec.enforcementMode;
  return {
    apiVersion: parsed.kind === 'ValidatingPolicy' ? parsed.apiVersion : 'kyverno.io/v1',
    kind: parsed.kind,
    metadata: {
      name: parsed.metadata.name,
      ...(parsed.kind === 'Policy' ? { namespace: parsed.metadata.namespace } : {}),
      labels,
      annotations,
    },
    spec: parsed.kind === 'ValidatingPolicy' ? withValidationActions(parsed.spec, mode) : withFailureAction(parsed.spec, mode),
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
