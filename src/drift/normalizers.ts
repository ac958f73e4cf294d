/**
 * The normalizer table: differences between the desired policy, as the API server stores it,
 * and the live policy that are not drift. Kept per kind so that other policy kinds (Kyverno's
 * CEL policies) get their own rows. Every row says why it exists and which Kyverno releases it
 * is about; the facts come from Kyverno's CRDs and policy webhook, release by release.
 *
 * Two sorts of rows:
 * - defaults: a field Kyverno treats the same whether it is absent or holds this value. Present
 *   on one side only with that value, it is not drift. The API server writes most of them from
 *   the CRD schema (which the server form learned by dry run already holds); the rows are still
 *   needed when the server form is unknown, and when a Kyverno upgrade adds a defaulted field to
 *   live policies after their server form was learned.
 * - normalizers: live values rewritten or list items added by Kyverno, mapped back before
 *   comparing.
 *
 * Whatever the Kyverno version, every row applies: an older release prunes a field it does not
 * know, so a default of a newer one never shows there, and no two releases default a field to
 * values that mean different things.
 */

type Json = unknown;

/** A value Kyverno uses when the field is absent. */
export interface KyvernoDefault {
  /** Field path, `[]` standing for any list index: `spec.rules[].skipBackgroundRequests`. */
  path: string;
  value: Json;
  /** The Kyverno releases that write it, and how. */
  kyverno: string;
}

export interface Normalizer {
  name: string;
  why: string;
  /** Returns the live value to compare against `expected` at `path`. */
  live(path: string, expected: Json, live: Json): Json;
}

export interface KindTable {
  defaults: KyvernoDefault[];
  normalizers: Normalizer[];
}

const CRD = 'set by the API server from the CRD schema';
const GO = 'the value Kyverno\'s code uses when the field is absent';

const KYVERNO_POLICY_DEFAULTS: KyvernoDefault[] = [
  { path: 'spec.background', value: true, kyverno: `1.8+ ${CRD}; up to 1.7 written by Kyverno's policy webhook` },
  { path: 'spec.validationFailureAction', value: 'Audit', kyverno: `1.9+ ${CRD}` },
  { path: 'spec.validationFailureAction', value: 'audit', kyverno: `1.8 ${CRD}; up to 1.7 written by Kyverno's policy webhook` },
  { path: 'spec.admission', value: true, kyverno: `1.11+ ${CRD}` },
  { path: 'spec.emitWarning', value: false, kyverno: `1.13+ ${CRD}` },
  { path: 'spec.failurePolicy', value: 'Fail', kyverno: `${GO}; up to 1.7 written by Kyverno's policy webhook` },
  { path: 'spec.webhookTimeoutSeconds', value: 10, kyverno: GO },
  { path: 'spec.applyRules', value: 'All', kyverno: GO },
  { path: 'spec.rules[].skipBackgroundRequests', value: true, kyverno: `1.12+ ${CRD}` },
  { path: 'spec.rules[].validate.allowExistingViolations', value: true, kyverno: `1.13+ ${CRD}` },
  { path: 'spec.rules[].context[].apiCall.method', value: 'GET', kyverno: `1.10+ ${CRD}` },
  { path: 'spec.rules[].validate.foreach[].context[].apiCall.method', value: 'GET', kyverno: `1.10+ ${CRD}` },
  { path: 'spec.rules[].verifyImages[].mutateDigest', value: true, kyverno: `1.8+ ${CRD}` },
  { path: 'spec.rules[].verifyImages[].required', value: true, kyverno: `1.8+ ${CRD}` },
  { path: 'spec.rules[].verifyImages[].verifyDigest', value: true, kyverno: `1.8+ ${CRD}` },
  { path: 'spec.rules[].verifyImages[].useCache', value: true, kyverno: `1.11+ ${CRD}` },
  { path: 'spec.rules[].verifyImages[].attestors[].entries[].keys.signatureAlgorithm', value: 'sha256', kyverno: `1.9+ ${CRD}` },
  { path: 'spec.rules[].verifyImages[].attestations[].attestors[].entries[].keys.signatureAlgorithm', value: 'sha256', kyverno: `1.9+ ${CRD}` },
  { path: 'spec.rules[].validate.manifests.attestors[].entries[].keys.signatureAlgorithm', value: 'sha256', kyverno: `1.9+ ${CRD}` },
];

const FAILURE_ACTION_PATH = /^spec\.(validationFailureAction|rules\[\d+\]\.validate\.failureAction)$/;

const KYVERNO_POLICY_NORMALIZERS: Normalizer[] = [
  {
    name: 'autogen rules in spec.rules',
    why: 'Kyverno up to 1.7 (and 1.8 with autogenInternals=false) wrote the rules it generates for Pod controllers (autogen-<rule>, autogen-cronjob-<rule>) into spec.rules; later releases keep them in status.autogen, which is never compared.',
    live(path, expected, live) {
      if (path !== 'spec.rules' || !Array.isArray(expected) || !Array.isArray(live)) return live;
      const expectedNames = new Set(expected.map(ruleName));
      const kept = live.filter((rule) => !ruleName(rule).startsWith('autogen-') || expectedNames.has(ruleName(rule)));
      return kept.length === live.length ? live : kept;
    },
  },
  {
    name: 'failure action casing',
    why: 'Kyverno accepts audit/Audit and enforce/Enforce alike; releases up to 1.8 lower-case them.',
    live(path, expected, live) {
      if (typeof expected !== 'string' || typeof live !== 'string' || !FAILURE_ACTION_PATH.test(path)) return live;
      return live.toLowerCase() === expected.toLowerCase() ? expected : live;
    },
  },
];

const KYVERNO_POLICY: KindTable = { defaults: KYVERNO_POLICY_DEFAULTS, normalizers: KYVERNO_POLICY_NORMALIZERS };

const VALIDATING_POLICY_DEFAULTS: KyvernoDefault[] = [
  { path: 'spec.evaluation.admission.enabled', value: true, kyverno: `1.14+ ${CRD}` },
  { path: 'spec.evaluation.background.enabled', value: true, kyverno: `1.14+ ${CRD}` },
  { path: 'spec.evaluation.mode', value: 'Kubernetes', kyverno: GO },
  { path: 'spec.failurePolicy', value: 'Fail', kyverno: `${GO}, as for a Kubernetes ValidatingAdmissionPolicy` },
  { path: 'spec.matchConstraints.matchPolicy', value: 'Equivalent', kyverno: `${GO}, as for a Kubernetes ValidatingAdmissionPolicy` },
  { path: 'spec.matchConstraints.resourceRules[].scope', value: '*', kyverno: `${GO}, as for a Kubernetes ValidatingAdmissionPolicy` },
  { path: 'spec.matchConstraints.excludeResourceRules[].scope', value: '*', kyverno: `${GO}, as for a Kubernetes ValidatingAdmissionPolicy` },
  { path: 'spec.paramRef.parameterNotFoundAction', value: 'Deny', kyverno: GO },
];

/**
 * Kyverno's CEL policy kind. Kyverno keeps what it generates (autogen variants, conditions) in
 * status, and rewrites no spec value, so the table has defaults only.
 */
const VALIDATING_POLICY: KindTable = { defaults: VALIDATING_POLICY_DEFAULTS, normalizers: [] };

/** The table per policy kind. A kind without a row gets no allowances: every difference is drift. */
export const TABLES: Record<string, KindTable> = {
  ClusterPolicy: KYVERNO_POLICY,
  Policy: KYVERNO_POLICY,
  ValidatingPolicy: VALIDATING_POLICY,
};

const NO_ALLOWANCES: KindTable = { defaults: [], normalizers: [] };

export function tableFor(kind: string): KindTable {
  return TABLES[kind] ?? NO_ALLOWANCES;
}

function ruleName(rule: Json): string {
  const name = (rule as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

export function normalizeLive(table: KindTable, path: string, expected: Json, live: Json): Json {
  let value = live;
  for (const normalizer of table.normalizers) value = normalizer.live(path, expected, value);
  return value;
}

const compiled = new WeakMap<KyvernoDefault, RegExp>();
const pattern = (row: KyvernoDefault): RegExp => {
  let re = compiled.get(row);
  if (!re) {
    re = new RegExp(`^${row.path.replace(/[.*+?^${}()|\\]/g, '\\$&').replace(/\[\]/g, '\\[\\d+\\]')}$`);
    compiled.set(row, re);
  }
  return re;
};

/**
 * Whether a field present on one side only means the same as its absence: null, an empty map
 * or list (Kyverno treats an empty exclude, preconditions or selector as none), or a Kyverno
 * default.
 */
export function isSameAsAbsent(table: KindTable, path: string, value: Json): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return table.defaults.some((row) => row.value === value && pattern(row).test(path));
}
