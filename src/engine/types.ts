// Public types of the validate engine.
import type { CompiledMatch, UserInfo } from './match.ts';
import type { CompiledConditions } from './conditions.ts';
import type { PatternNode } from './pattern.ts';
import type { PodSecuritySpec } from './podsecurity.ts';
import type { CelRule } from './cel/rule.ts';
import type { CelException } from './cel/exceptions.ts';

export type { UserInfo };

export type ResultStatus = 'pass' | 'fail' | 'skip' | 'error' | 'warn';

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface RuleResult {
  policy: string;
  rule: string;
  resource: ResourceRef;
  result: ResultStatus;
  message: string;
}

export interface ApiCallRequest {
  urlPath?: string;
  method: string;
  data?: unknown;
  service?: { url: string; caBundle?: string; headers?: unknown };
}

/** Plug-in points for data the engine cannot compute itself (cluster lookups). May return promises. */
export interface Resolvers {
  apiCall?(request: ApiCallRequest): unknown;
  configMap?(namespace: string, name: string): unknown;
  imageData?(reference: string): unknown;
  globalContext?(name: string): unknown;
}

export interface EvaluationContext {
  /** Admission operation; the Kyverno CLI (and background scans here) use CREATE. */
  operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  oldObject?: Record<string, unknown> | null;
  userInfo?: UserInfo;
  roles?: string[];
  clusterRoles?: string[];
  /** Labels of namespaces, for namespaceSelector. */
  namespaceLabels?: Record<string, Record<string, string>> | ((namespace: string) => Record<string, string> | undefined);
  /** Variables visible to every rule (dotted names like "request.operation" set nested values). */
  variables?: Record<string, unknown>;
  /** Variables per rule name (Kyverno CLI `values` file: policies[].rules[].values). */
  ruleValues?: Record<string, Record<string, unknown>>;
  /** Per-iteration variables per rule name (values file `foreachValues`): the Nth foreach element sees entry N of each list. */
  ruleForeachValues?: Record<string, Record<string, unknown[]>>;
  resolvers?: Resolvers;
  /** Namespace objects by name, for CEL's `namespaceObject` (otherwise built from namespaceLabels). */
  namespaceObjects?: (namespace: string) => Record<string, unknown> | undefined;
  /** Objects CEL policies can take as `params` (paramKind / paramRef). */
  paramResources?: Record<string, unknown>[];
  /** policies.kyverno.io PolicyExceptions, compiled (see cel/exceptions.ts). */
  celExceptions?: CelException[];
}

export interface ContextEntry {
  name: string;
  raw: Record<string, unknown>;
}

export interface CompiledPattern {
  /** Static patterns compile once; patterns with variables compile after substitution. */
  node: PatternNode | null;
  raw: unknown;
}

export interface CompiledValidation {
  message: string;
  hasMessage: boolean;
  pattern: CompiledPattern | null;
  anyPattern: CompiledPattern[] | null;
  deny: CompiledConditions | null;
  denyPresent: boolean;
  foreach: CompiledForeach[] | null;
  podSecurity: PodSecuritySpec | null;
}

export interface CompiledForeach {
  list: string;
  context: ContextEntry[];
  preconditions: CompiledConditions | null;
  validation: CompiledValidation;
  elementScope: boolean | null;
}

export interface CompiledRule {
  name: string;
  /** The kinds the rule's match block names, as spelled (e.g. "Pod", "apps/v1/Deployment"). */
  matchKinds: string[];
  match: CompiledMatch | null;
  exclude: CompiledMatch | null;
  context: ContextEntry[];
  preconditions: CompiledConditions | null;
  validation: CompiledValidation;
  /** Set for CEL rules: a ValidatingPolicy (with its matchConstraints) or a validate.cel rule. */
  cel?: CelRule;
}

export interface CompiledPolicy {
  name: string;
  /** Set for namespaced `Policy` objects: they only apply inside their namespace. */
  namespace?: string;
  kind: string;
  /** `policies.kyverno.io/scored: "false"` turns failures into warnings. */
  scored: boolean;
  rules: CompiledRule[];
  /** Rules the engine does not evaluate (mutate, generate, verifyImages, manifests, assert). */
  unsupportedRules: string[];
  /** `spec.applyRules: One` stops at the first rule that applies to a resource. */
  applyOne: boolean;
}
