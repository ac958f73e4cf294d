// Running Kyverno CLI test suites (`cli.kyverno.io/v1alpha1` Test files, `kyverno-test.yaml`)
// with the built-in engine and comparing against their expected results.
import { readdir, realpath } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileTypeName, readRegularFile, resolveInside } from '../util/input-file.ts';
import { parseYamlDocuments } from '../spec/yaml-documents.ts';
import { compilePolicy, evaluatePolicy } from './evaluate.ts';
import { isObject } from './jmespath/values.ts';
import { setContextValue } from './variables.ts';
import type { CompiledPolicy, EvaluationContext, Resolvers, RuleResult } from './types.ts';
import { contextResolvers } from './test-context.ts';
import { isValidatingPolicy, VALIDATING_POLICY_KINDS } from './cel/validating-policy.ts';
import { compileCelException, isCelException } from './cel/exceptions.ts';
import type { CelException } from './cel/exceptions.ts';

export interface ExpectedResult {
  policy: string;
  rule: string;
  kind: string;
  namespace?: string;
  resource: string;
  result: string;
  /** The admission operation this result is for (`operation:` on a result entry); the values file's otherwise. */
  operation?: string;
  /** A ValidatingPolicy result (`isValidatingPolicy: true`): matched by policy, not by rule name. */
  validatingPolicy?: boolean;
}

export interface Mismatch {
  expected: ExpectedResult;
  got: string;
  message: string;
}

export interface TestFileReport {
  file: string;
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  /** The expected results that held (for per-case reports such as JUnit). */
  passes: ExpectedResult[];
  mismatches: Mismatch[];
  notRun: Array<{ expected: ExpectedResult; reason: string }>;
  errors: string[];
}

export interface SuiteReport {
  files: TestFileReport[];
  passed: number;
  failed: number;
  skipped: number;
  /** Paths passed over while looking for tests (FIFOs, sockets, devices named like test files). */
  notes: string[];
}

/** What a test file may read. */
export interface TestFileAccess {
  /** The folder under test (a real path): files a test names must lie under it... */
  root: string;
  /** ...unless this is set (`kspec test --allow-outside`). */
  allowOutside?: boolean;
}

type Obj = Record<string, unknown>;

/** Finds kyverno-test.yaml files under a directory (dot-directories included). */
export async function findTestFiles(dir: string, notes: string[] = []): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    const hasCurrent = entries.some((e) => !e.isDirectory() && (e.name === 'kyverno-test.yaml' || e.name === 'kyverno-test.yml'));
    for (const e of entries) {
      const p = join(d, e.name);
      if (!e.isDirectory() && !e.isFile() && !e.isSymbolicLink()) {
        if (/^(kyverno-)?test\.ya?ml$/.test(e.name)) notes.push(`${p}: not a regular file (${fileTypeName(e)}), skipped`);
        continue;
      }
      if (e.isDirectory()) {
        if (e.name === 'node_modules' || e.name === '.git') continue;
        await walk(p);
      } else if (e.name === 'kyverno-test.yaml' || e.name === 'kyverno-test.yml') out.push(p);
      // Kyverno CLI releases before 1.5 read `test.yaml`; such a file counts when no kyverno-test.yaml
      // sits beside it and it looks like a Test (policies, resources and results lists).
      else if (!hasCurrent && (e.name === 'test.yaml' || e.name === 'test.yml') && (await looksLikeTest(p))) out.push(p);
    }
  };
  await walk(resolve(dir));
  return out;
}

async function looksLikeTest(path: string): Promise<boolean> {
  try {
    const docs = await loadYamlDocuments(path);
    return docs.length === 1 && Array.isArray(docs[0].policies) && Array.isArray(docs[0].resources) && Array.isArray(docs[0].results);
  } catch {
    return false;
  }
}

/**
 * Parses a multi-document YAML file into its object documents (expanding `kind: List`). Errors
 * give file, line and column but never quote the file's lines: a test may name a file whose
 * content is nobody's business.
 */
export async function loadYamlDocuments(path: string): Promise<Obj[]> {
  const text = await readRegularFile(path);
  const out: Obj[] = [];
  // kspec's own reader: linear in the number of keys, aliases bounded by the expanded size.
  for (const doc of parseYamlDocuments(path, text)) {
    if (doc.error) throw new Error(`${path}:${doc.error.line}:${doc.error.column}: ${doc.error.message}`);
    const value = doc.value;
    if (!isObject(value)) continue;
    if (value.kind === 'List' && Array.isArray(value.items)) {
      for (const item of value.items) if (isObject(item)) out.push(item);
    } else out.push(value);
  }
  return out;
}

function asStringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return [v];
  return [];
}

export function expectedResults(test: Obj): ExpectedResult[] {
  const out: ExpectedResult[] = [];
  const results = Array.isArray(test.results) ? test.results : [];
  for (const r of results) {
    if (!isObject(r)) continue;
    const names = r.resources !== undefined ? asStringList(r.resources) : asStringList(r.resource);
    for (const name of names) {
      out.push({
        policy: String(r.policy ?? ''),
        rule: String(r.rule ?? ''),
        kind: String(r.kind ?? ''),
        namespace: typeof r.namespace === 'string' && r.namespace !== '' ? r.namespace : undefined,
        resource: name,
        result: String(r.result ?? r.status ?? ''),
        ...(typeof r.operation === 'string' && r.operation !== '' ? { operation: r.operation.toUpperCase() } : {}),
        ...(r.isValidatingPolicy === true ? { validatingPolicy: true } : {}),
      });
    }
  }
  return out;
}

interface ValuesFile {
  global: Obj;
  perPolicyRule: Map<string, Record<string, Obj>>;
  perPolicyRuleForeach: Map<string, Record<string, Record<string, unknown[]>>>;
  perPolicyResource: Map<string, Map<string, Obj>>;
  namespaceLabels: Record<string, Record<string, string>>;
  /** Namespace objects (`namespaces:`), for CEL's namespaceObject. */
  namespaces: Record<string, Obj>;
}

async function loadValues(path: string | undefined): Promise<ValuesFile> {
  if (!path) return valuesFrom({});
  const docs = await loadYamlDocuments(path);
  return valuesFrom(docs[0] ?? {});
}

/** Reads a Values document (a `variables:` file, or the test's inline `values:` object). */
function valuesFrom(doc: Obj): ValuesFile {
  const vf: ValuesFile = { global: {}, perPolicyRule: new Map(), perPolicyRuleForeach: new Map(), perPolicyResource: new Map(), namespaceLabels: {}, namespaces: {} };
  if (isObject(doc.globalValues)) vf.global = doc.globalValues;
  for (const p of Array.isArray(doc.policies) ? doc.policies : []) {
    if (!isObject(p)) continue;
    const pname = String(p.name ?? '');
    // A policy may be listed more than once (one entry per resource or rule): entries add up.
    const rules: Record<string, Obj> = vf.perPolicyRule.get(pname) ?? {};
    for (const r of Array.isArray(p.rules) ? p.rules : []) {
      if (isObject(r) && isObject(r.values)) rules[String(r.name ?? '')] = { ...(rules[String(r.name ?? '')] ?? {}), ...r.values };
    }
    vf.perPolicyRule.set(pname, rules);
    // foreachValues: a map of lists, or (newer CLI files) a list of such maps, merged.
    const foreach: Record<string, Record<string, unknown[]>> = vf.perPolicyRuleForeach.get(pname) ?? {};
    for (const r of Array.isArray(p.rules) ? p.rules : []) {
      if (!isObject(r) || r.foreachValues === undefined) continue;
      const maps = Array.isArray(r.foreachValues) ? r.foreachValues.filter(isObject) : isObject(r.foreachValues) ? [r.foreachValues] : [];
      const target = foreach[String(r.name ?? '')] ?? {};
      for (const m of maps) for (const [k, v] of Object.entries(m)) target[k] = Array.isArray(v) ? v : [v];
      foreach[String(r.name ?? '')] = target;
    }
    if (Object.keys(foreach).length) vf.perPolicyRuleForeach.set(pname, foreach);
    const res = vf.perPolicyResource.get(pname) ?? new Map<string, Obj>();
    for (const r of Array.isArray(p.resources) ? p.resources : []) {
      if (isObject(r) && isObject(r.values)) res.set(String(r.name ?? ''), { ...(res.get(String(r.name ?? '')) ?? {}), ...r.values });
    }
    vf.perPolicyResource.set(pname, res);
  }
  for (const ns of Array.isArray(doc.namespaceSelector) ? doc.namespaceSelector : []) {
    if (!isObject(ns)) continue;
    const labels: Record<string, string> = {};
    if (isObject(ns.labels)) for (const [k, v] of Object.entries(ns.labels)) labels[k] = String(v);
    vf.namespaceLabels[String(ns.name ?? '')] = labels;
  }
  for (const ns of Array.isArray(doc.namespaces) ? doc.namespaces : []) {
    if (!isObject(ns) || !isObject(ns.metadata) || typeof ns.metadata.name !== 'string') continue;
    vf.namespaces[ns.metadata.name] = ns;
    if (isObject(ns.metadata.labels) && !vf.namespaceLabels[ns.metadata.name]) {
      vf.namespaceLabels[ns.metadata.name] = Object.fromEntries(Object.entries(ns.metadata.labels).map(([k, v]) => [k, String(v)]));
    }
  }
  return vf;
}

async function loadUserInfo(path: string | undefined): Promise<Partial<EvaluationContext>> {
  if (!path) return {};
  const docs = await loadYamlDocuments(path);
  const doc = docs[0] ?? {};
  const ui = isObject(doc.userInfo) ? doc.userInfo : {};
  return {
    userInfo: {
      username: typeof ui.username === 'string' ? ui.username : undefined,
      uid: typeof ui.uid === 'string' ? ui.uid : undefined,
      groups: Array.isArray(ui.groups) ? ui.groups.map(String) : undefined,
    },
    roles: asStringList(doc.roles),
    clusterRoles: asStringList(doc.clusterRoles),
  };
}

/** ValidatingPolicy results carry no rule name: an expected result without one matches the policy's. */
function isValidatingPolicyKind(kind: string): boolean {
  return VALIDATING_POLICY_KINDS.includes(kind);
}

function policyKey(p: CompiledPolicy): string {
  return p.namespace !== undefined ? `${p.namespace}/${p.name}` : p.name;
}

function resourceName(r: Obj): { name: string; namespace: string; kind: string } {
  const meta = isObject(r.metadata) ? r.metadata : {};
  return { name: String(meta.name ?? ''), namespace: String(meta.namespace ?? ''), kind: String(r.kind ?? '') };
}

function ruleMatches(expected: string, got: string): boolean {
  return got === expected || got === `autogen-${expected}` || got === `autogen-cronjob-${expected}`;
}

/** The resource with the values given for `request.object.<path>` written into it (a copy; the input is untouched). */
function withObjectValues(resource: Obj, values: Obj): Obj {
  let holder: { request: { object: Obj } } | null = null;
  for (const [k, v] of Object.entries(values)) {
    if (!k.startsWith('request.object.')) continue;
    holder ??= { request: { object: resource } };
    setContextValue(holder as unknown as Record<string, unknown>, k, v);
  }
  return holder ? holder.request.object : resource;
}

/** Runs one Test file; the files it names are read as `access` allows. */
export async function runTestFile(file: string, access: TestFileAccess): Promise<TestFileReport> {
  const report: TestFileReport = { file: relative(access.root, file), name: '', passed: 0, failed: 0, skipped: 0, passes: [], mismatches: [], notRun: [], errors: [] };
  let docs: Obj[];
  try {
    docs = await loadYamlDocuments(file);
  } catch (err) {
    report.errors.push((err as Error).message);
    return report;
  }
  const test = docs.find((d) => d.kind === 'Test' || Array.isArray(d.results)) ?? docs[0] ?? {};
  const meta = isObject(test.metadata) ? test.metadata : {};
  report.name = String(meta.name ?? test.name ?? dirname(file));
  const base = dirname(file);
  const named = (ref: string) => (access.allowOutside ? Promise.resolve(resolve(base, ref)) : resolveInside(access.root, base, ref));
  const expected = expectedResults(test);
  if (expected.length === 0) report.errors.push('no results to check: a Test lists the results it expects under results:');

  const policies: CompiledPolicy[] = [];
  const policyErrors = new Map<string, string>();
  for (const p of asStringList(test.policies)) {
    try {
      for (const doc of await loadYamlDocuments(await named(p))) {
        if (doc.kind !== 'ClusterPolicy' && doc.kind !== 'Policy' && !isValidatingPolicy(doc)) continue;
        try {
          policies.push(compilePolicy(doc));
        } catch (err) {
          const m = isObject(doc.metadata) ? String(doc.metadata.name ?? '') : '';
          policyErrors.set(m, (err as Error).message);
          report.errors.push((err as Error).message);
        }
      }
    } catch (err) {
      report.errors.push(`cannot load policy ${p}: ${(err as Error).message}`);
    }
  }
  const resources: Obj[] = [];
  for (const r of asStringList(test.resources)) {
    try {
      for (const doc of await loadYamlDocuments(await named(r))) if (typeof doc.kind === 'string') resources.push(doc);
    } catch (err) {
      report.errors.push(`cannot load resource ${r}: ${(err as Error).message}`);
    }
  }
  // Parameter objects (paramResources) and CEL PolicyExceptions (exceptions) the policies may use.
  const paramResources: Obj[] = [];
  for (const r of asStringList(test.paramResources)) {
    try {
      for (const doc of await loadYamlDocuments(await named(r))) paramResources.push(doc);
    } catch (err) {
      report.errors.push(`cannot load param resource ${r}: ${(err as Error).message}`);
    }
  }
  const celExceptions: CelException[] = [];
  for (const e of asStringList(test.exceptions)) {
    try {
      for (const doc of await loadYamlDocuments(await named(e))) {
        if (isCelException(doc)) celExceptions.push(compileCelException(doc));
        else if (doc.kind !== 'PolicyException') paramResources.push(doc);
      }
    } catch (err) {
      report.errors.push(`cannot load exception ${e}: ${(err as Error).message}`);
    }
  }
  // The cluster objects and image metadata the test stands in for the cluster.
  let resolvers: Resolvers | undefined;
  if (typeof test.context === 'string') {
    try {
      const context = (await loadYamlDocuments(await named(test.context))).find((d) => d.kind === 'Context');
      if (context) resolvers = contextResolvers(context);
      else report.errors.push(`${test.context}: no document of kind Context`);
    } catch (err) {
      report.errors.push(`cannot load context ${test.context}: ${(err as Error).message}`);
    }
  }
  const valuesPath = typeof test.variables === 'string' ? test.variables : typeof test.values === 'string' ? test.values : undefined;
  const userInfoPath = typeof test.userinfo === 'string' ? test.userinfo : undefined;
  let values: ValuesFile;
  let userCtx: Partial<EvaluationContext>;
  try {
    // `values:` may also be the Values document itself, inline in the test file.
    values = isObject(test.values) && !valuesPath ? valuesFrom(test.values) : await loadValues(valuesPath ? await named(valuesPath) : undefined);
    userCtx = await loadUserInfo(userInfoPath ? await named(userInfoPath) : undefined);
  } catch (err) {
    report.errors.push((err as Error).message);
    values = { global: {}, perPolicyRule: new Map(), perPolicyRuleForeach: new Map(), perPolicyResource: new Map(), namespaceLabels: {}, namespaces: {} };
    userCtx = {};
  }

  // Evaluate every policy against every resource: once with the operation the values give, and
  // again for each other operation an expected result names.
  const results: RuleResult[] = [];
  const resultPolicy = new Map<RuleResult, string>();
  const resultOperation = new Map<RuleResult, string>();
  const defaultResults = new Set<RuleResult>();
  const extraOperations = [...new Set(expected.map((e) => e.operation).filter((o): o is string => o !== undefined))];
  for (const policy of policies) {
    const pkey = policyKey(policy);
    const ruleValues = values.perPolicyRule.get(policy.name) ?? values.perPolicyRule.get(pkey);
    const ruleForeachValues = values.perPolicyRuleForeach.get(policy.name) ?? values.perPolicyRuleForeach.get(pkey);
    const resValues = values.perPolicyResource.get(policy.name) ?? values.perPolicyResource.get(pkey);
    for (const resource of resources) {
      const rn = resourceName(resource);
      const base: Obj = { ...values.global, ...(resValues?.get(rn.name) ?? {}) };
      // An empty request.operation in a values file means the default (CREATE), as in Kyverno's CLI.
      if (base['request.operation'] === '' || base['request.operation'] === null) delete base['request.operation'];
      const defaultOp = typeof base['request.operation'] === 'string' ? base['request.operation'] : 'CREATE';
      // Values for request.object.* fields stand for the resource's own fields, as in Kyverno's CLI:
      // match and exclude (labels, annotations) see them too, not only variables.
      const target = withObjectValues(resource, base);
      for (const opName of [defaultOp, ...extraOperations.filter((o) => o !== defaultOp)]) {
        const variables: Obj = opName === defaultOp ? base : { ...base, 'request.operation': opName };
        const ectx: EvaluationContext = {
          operation: opName === 'UPDATE' || opName === 'DELETE' || opName === 'CONNECT' ? opName : 'CREATE',
          ...userCtx,
          namespaceLabels: values.namespaceLabels,
          namespaceObjects: (ns) => values.namespaces[ns],
          paramResources,
          celExceptions,
          ...(resolvers ? { resolvers } : {}),
          variables,
          ruleValues: ruleValues,
          ...(ruleForeachValues ? { ruleForeachValues } : {}),
        };
        for (const r of evaluatePolicy(policy, target, ectx)) {
          results.push(r);
          resultPolicy.set(r, pkey);
          resultOperation.set(r, opName);
          if (opName === defaultOp) defaultResults.add(r);
        }
      }
    }
  }

  for (const exp of expected) {
    let ns = exp.namespace;
    let name = exp.resource;
    if (name.includes('/')) {
      const i = name.indexOf('/');
      ns = name.slice(0, i);
      name = name.slice(i + 1);
    }
    const expPolicyName = exp.policy.includes('/') ? exp.policy.slice(exp.policy.indexOf('/') + 1) : exp.policy;
    const policy = policies.find((p) => policyKey(p) === exp.policy || p.name === expPolicyName);
    if (!policy) {
      const reason = policyErrors.get(expPolicyName) ?? `policy ${exp.policy} not loaded`;
      if (policyErrors.has(expPolicyName)) { report.skipped++; report.notRun.push({ expected: exp, reason }); }
      else { report.failed++; report.mismatches.push({ expected: exp, got: 'not found', message: reason }); }
      continue;
    }
    if (policy.unsupportedRules.includes(exp.rule)) {
      report.skipped++;
      report.notRun.push({ expected: exp, reason: `rule ${exp.rule} is not a validate rule the engine runs` });
      continue;
    }
    const got = results.filter((r) =>
      resultPolicy.get(r) === policyKey(policy) &&
      (exp.operation === undefined ? defaultResults.has(r) : resultOperation.get(r) === exp.operation) &&
      (exp.rule === '' && (exp.validatingPolicy || isValidatingPolicyKind(policy.kind)) ? true : ruleMatches(exp.rule, r.rule)) &&
      r.resource.name === name &&
      (exp.kind === '' || r.resource.kind === exp.kind) &&
      (ns === undefined || (r.resource.namespace ?? '') === ns || (ns === 'default' && !r.resource.namespace)));
    if (got.length === 0) {
      if (exp.result === 'skip') { report.passed++; report.passes.push(exp); continue; }
      report.failed++;
      report.mismatches.push({ expected: exp, got: 'not found', message: 'no result for this resource and rule' });
      continue;
    }
    const bad = got.find((r) => r.result !== exp.result);
    if (bad) {
      report.failed++;
      report.mismatches.push({ expected: exp, got: bad.result, message: bad.message });
    } else {
      report.passed++;
      report.passes.push(exp);
    }
  }
  return report;
}

/** Runs every Test file under a directory; by default its tests read only files under it. */
export async function runKyvernoTests(dir: string, options: { allowOutside?: boolean } = {}): Promise<SuiteReport> {
  const root = await realpath(resolve(dir));
  const suite: SuiteReport = { files: [], passed: 0, failed: 0, skipped: 0, notes: [] };
  const files = await findTestFiles(root, suite.notes);
  for (const f of files) {
    const r = await runTestFile(f, { root, allowOutside: options.allowOutside });
    suite.files.push(r);
    suite.passed += r.passed;
    suite.failed += r.failed;
    suite.skipped += r.skipped;
  }
  return suite;
}
