import type { ClusterSpecification, ClusterTarget } from '../api/types.ts';
import type { LoadResult, LoadedSpec } from '../spec/load.ts';
import type { SpecError } from '../spec/errors.ts';
import { renderSpec, findCrossSpecClashes } from '../render/render.ts';
import { DEFAULT_RENDER_RULES } from '../render/render-rules.ts';
import type { RenderRules } from '../render/render-rules.ts';
import { specKey } from '../spec/load.ts';
import type { DesiredPolicy } from '../render/desired-policy.ts';
import { SOURCE_ANNOTATION, SOURCE_COMMIT_ANNOTATION, SOURCE_FILE_ANNOTATION } from '../render/ownership.ts';
import { describeOwner, isMirror, loadAppliedSpec, withoutLines } from './applied-specs.ts';

/** What one spec should look like in its cluster this pass, and whether it may prune. */
export interface SpecPlan {
  key: string;
  /** Repository and path the spec comes from (see sourceIdentity). */
  source: string;
  name: string;
  namespace: string;
  spec: ClusterSpecification;
  /** The commit the desired state comes from (the last good one when the spec is failing). */
  sourceCommit: string;
  sourceFile: string;
  desired: DesiredPolicy[];
  /** Errors that make this spec Failed. */
  errors: SpecError[];
  /**
   * `git` when the desired state comes from this commit without errors; `cluster` when it is a
   * ClusterSpecification applied to the cluster (kubectl, Argo CD, Flux), which is its own
   * desired state; `last-good` when a Git spec is failing and its mirror in the cluster supplies
   * the last good state; `none` when there is nothing to hold. Only `git` and `cluster` may prune.
   */
  desiredFrom: 'git' | 'cluster' | 'last-good' | 'none';
  /**
   * The spec was removed from Git by a clean commit: it now wants no policies, so enforce mode
   * prunes what it owned, and its mirror and reports go once nothing is left.
   */
  retired?: boolean;
  /** A ClusterSpecification applied to the cluster (no repository): kspec writes only its status. */
  applied?: boolean;
  /** kspec does not serve this spec, only says why in its status (and an Event). */
  refusal?: Refusal;
  /** --take-over: this pass moves the spec here from its previous owner, described. */
  takenOverFrom?: string;
  /** The repository could not be fetched (this error): the spec holds its last good state. */
  sourceUnavailable?: string;
}

export interface Refusal {
  /** SourceConflict: another repository (or kubectl) owns the spec; NotManaged: no repository does and this installation serves only its own. */
  reason: 'SourceConflict' | 'NotManaged';
  message: string;
}

export interface PlanOptions {
  /** What a spec may render, as the operator decided (default: validate rules only). */
  rules?: RenderRules;
  /** Serve the ClusterSpecifications applied to the cluster (no kspec.io/source). */
  serveAppliedSpecs?: boolean;
  /**
   * The installation's namespace: only specs applied there are this installation's business
   * (served, or told they are not), so installations in other namespaces do not fight over them.
   */
  namespace?: string;
  /** Move specs that another source owns to this one, instead of refusing them. */
  takeOver?: boolean;
  /** Reading the ClusterSpecifications in the cluster failed: who owns what is unknown, so nothing is touched. */
  clusterSpecsError?: string;
}

/**
 * Whether the desired state is clean, from this commit or from a spec applied to the cluster:
 * only then may kspec prune extra policies (and, for Git, update the spec's mirror, its last
 * good state). Anything held over from before may not.
 */
export function isClean(plan: SpecPlan): boolean {
  return (plan.desiredFrom === 'git' || plan.desiredFrom === 'cluster') && plan.errors.length === 0;
}

/** The namespace/name of the ClusterTarget a spec targets: the unit of sharding. */
export const targetKeyOfSpec = (spec: ClusterSpecification) => specKey({ namespace: spec.metadata.namespace, name: spec.spec.targetClusterRef.name });
export const targetKeyOf = (plan: SpecPlan) => specKey({ namespace: plan.namespace, name: plan.spec.spec.targetClusterRef.name });

/** The spec mirrors this repository and path wrote; another kspec (a shard, another team) may keep its own. */
export const mirrorsOf = (clusterSpecs: ClusterSpecification[], source: string | undefined) =>
  clusterSpecs.filter((m) => source !== undefined && m.metadata.annotations?.[SOURCE_ANNOTATION] === source);

export { specKey };

/**
 * Decides every spec's desired state from what was loaded and rendered at this commit, falling
 * back to the last good state (the spec's mirror in the cluster) wherever this commit is broken,
 * and from the ClusterSpecifications applied to the cluster. A spec that another source owns is
 * refused unless taken over. `clusterSpecs` is every ClusterSpecification in the management
 * cluster; `source` is undefined when no repository is served. Pure.
 */
export function planSpecs(load: LoadResult, commit: string, source: string | undefined, clusterSpecs: ClusterSpecification[], fetchError?: string, options: PlanOptions = {}): SpecPlan[] {
  const plans = new Map<string, SpecPlan>();
  const rules = options.rules ?? DEFAULT_RENDER_RULES;
  const mirrors = mirrorsOf(clusterSpecs, source);
  const mirrorByKey = new Map(mirrors.map((m) => [specKey(m.metadata), m]));
  const othersByKey = new Map(clusterSpecs.filter((s) => !mirrors.includes(s)).map((s) => [specKey(s.metadata), s]));
  const sourceId = source ?? '';

  for (const loaded of load.specs) {
    const rendered = renderSpec(loaded, commit, rules);
    const key = specKey(loaded.spec.metadata);
    plans.set(key, {
      key,
      source: sourceId,
      name: loaded.spec.metadata.name,
      namespace: loaded.spec.metadata.namespace!,
      spec: loaded.spec,
      sourceCommit: commit,
      sourceFile: loaded.origin.file,
      desired: rendered.policies,
      errors: rendered.errors,
      desiredFrom: 'git',
    });
  }

  // Specs applied to the cluster that no repository manages: served as they are, or told why not.
  for (const [key, applied] of othersByKey) {
    if (plans.has(key) || isMirror(applied)) continue;
    if (options.namespace !== undefined && applied.metadata.namespace !== options.namespace) continue;
    plans.set(key, options.serveAppliedSpecs ? appliedPlan(key, applied, rules) : notManaged(key, applied, source));
  }

  for (const [policy, owners] of findCrossSpecClashes(new Map([...plans].filter(([, p]) => !p.refusal).map(([k, p]) => [k, p.desired])))) {
    for (const owner of owners) {
      const plan = plans.get(owner)!;
      plan.errors.push({ file: plan.sourceFile, document: 1, line: 1, message: `${policy} is also rendered by ${owners.filter((o) => o !== owner).join(', ')}`, specName: plan.name });
    }
  }

  // Errors in documents that did not load: attribute them to the spec they name, or to the
  // specs whose mirror came from that file (a syntax error hides the name).
  for (const error of load.errors) {
    const owners = error.specName
      ? [...mirrorByKey.values(), ...[...plans.values()].map((p) => p.spec)].filter((s) => s.metadata.name === error.specName)
      : mirrors.filter((m) => m.metadata.annotations?.[SOURCE_FILE_ANNOTATION] === error.file);
    const keys = new Set(owners.map((s) => specKey(s.metadata)));
    if (error.specName && keys.size === 0) keys.add(specKey({ name: error.specName }));
    for (const key of keys) {
      const plan = plans.get(key) ?? failedPlan(key, sourceId, mirrorByKey.get(key), rules);
      plan.errors.push(error);
      plans.set(key, plan);
    }
  }

  // A spec whose file is gone from a commit that loaded without any error was removed on
  // purpose. With any error anywhere it may only be hidden by it, so nothing is retired.
  if (!fetchError && load.errors.length === 0) {
    for (const [key, mirror] of mirrorByKey) {
      if (plans.has(key)) continue;
      plans.set(key, {
        key, source: sourceId, name: mirror.metadata.name, namespace: mirror.metadata.namespace!,
        spec: { ...mirror, spec: { ...mirror.spec, policies: [] } },
        sourceCommit: commit, sourceFile: mirror.metadata.annotations?.[SOURCE_FILE_ANNOTATION] ?? '',
        desired: [], errors: [], desiredFrom: 'git', retired: true,
      });
    }
  }

  if (fetchError) {
    for (const [key, mirror] of mirrorByKey) {
      const plan = failedPlan(key, sourceId, mirror, rules);
      plan.errors.push({ file: '', document: 0, line: 0, message: `${fetchError}; the last good state stays in effect`, specName: mirror.metadata.name });
      plan.sourceUnavailable = fetchError;
      plans.set(key, plan);
    }
  }

  for (const plan of plans.values()) {
    if (plan.errors.length > 0 && plan.desiredFrom === 'git') holdLastGood(plan, mirrorByKey.get(plan.key), rules);
    // An applied spec has no last good state to fall back on: while it is invalid, touch nothing.
    if (plan.errors.length > 0 && plan.desiredFrom === 'cluster') Object.assign(plan, { desired: [], desiredFrom: 'none' });
  }

  if (options.clusterSpecsError) {
    for (const plan of plans.values()) {
      plan.errors.push({ file: '', document: 0, line: 0, message: `cannot tell which specs this installation owns: ${options.clusterSpecsError}`, specName: plan.name });
      Object.assign(plan, { desired: [], desiredFrom: 'none' });
    }
  }

  // A Git spec whose name another source holds in the cluster: refused, or taken over on request.
  for (const plan of plans.values()) {
    const owner = othersByKey.get(plan.key);
    if (!owner || plan.applied || plan.refusal) continue;
    if (options.takeOver) {
      plan.takenOverFrom = describeOwner(owner);
      continue;
    }
    Object.assign(plan, {
      spec: owner, desired: [], desiredFrom: 'none', retired: false,
      refusal: {
        reason: 'SourceConflict',
        message: `${plan.sourceFile || 'this repository'} defines ClusterSpecification ${plan.key}, which ${describeOwner(owner)} manages; ${sourceId} does not take it over. Remove it from one of them, or run kspec with --take-over to move it to ${sourceId}`,
      },
    });
  }
  return [...plans.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** A spec applied to the cluster is its own desired state: rendered as it is, never held over. */
function appliedPlan(key: string, applied: ClusterSpecification, rules: RenderRules): SpecPlan {
  const { loaded, errors } = loadAppliedSpec(applied);
  const rendered = loaded ? renderSpec(loaded, '', rules) : { policies: [], errors: [] };
  return {
    key, source: '', name: applied.metadata.name, namespace: applied.metadata.namespace!, applied: true,
    spec: loaded?.spec ?? applied, sourceCommit: '', sourceFile: '',
    desired: rendered.policies, errors: [...errors, ...rendered.errors.map(withoutLines)], desiredFrom: 'cluster',
  };
}

function notManaged(key: string, applied: ClusterSpecification, source: string | undefined): SpecPlan {
  return {
    key, source: source ?? '', name: applied.metadata.name, namespace: applied.metadata.namespace!,
    spec: applied, sourceCommit: '', sourceFile: '', desired: [], errors: [], desiredFrom: 'none',
    refusal: {
      reason: 'NotManaged',
      message: `no repository manages this ClusterSpecification, and this kspec installation serves only ${source}: commit it there, or run kspec with --cluster-specs to serve specs applied to the cluster too`,
    },
  };
}

function failedPlan(key: string, source: string, mirror: ClusterSpecification | undefined, rules: RenderRules): SpecPlan {
  const [namespace, name] = key.split('/');
  const plan: SpecPlan = {
    key, source, name, namespace,
    spec: mirror ?? ({ apiVersion: 'kspec.io/v1alpha1', kind: 'ClusterSpecification', metadata: { name, namespace }, spec: { targetClusterRef: { name: '' }, enforcementMode: 'monitor', policies: [] } } as ClusterSpecification),
    sourceCommit: '', sourceFile: '', desired: [], errors: [], desiredFrom: 'none',
  };
  holdLastGood(plan, mirror, rules);
  return plan;
}

/** The spec is failing: keep enforcing what its mirror holds, the last good desired state. */
function holdLastGood(plan: SpecPlan, mirror: ClusterSpecification | undefined, rules: RenderRules): void {
  if (!mirror) {
    plan.desired = [];
    plan.desiredFrom = 'none';
    return;
  }
  const commit = mirror.metadata.annotations?.[SOURCE_COMMIT_ANNOTATION] ?? '';
  const file = mirror.metadata.annotations?.[SOURCE_FILE_ANNOTATION] ?? '';
  const loaded: LoadedSpec = { spec: mirror, origin: { file, document: 1, line: 1 } };
  plan.spec = mirror;
  plan.sourceCommit = commit;
  plan.sourceFile = file;
  // The operator's rules hold for the last good state too: what they forbid now is not kept.
  plan.desired = renderSpec(loaded, commit, rules).policies;
  plan.desiredFrom = 'last-good';
}

/** ClusterTargets by namespace/name, from Git. */
export function targetsByKey(targets: { target: ClusterTarget }[]): Map<string, ClusterTarget> {
  return new Map(targets.map(({ target }) => [specKey(target.metadata), target]));
}

/** Identifies a specs repository and path, without credentials: `<repo>#<path>`. */
export function sourceIdentity(repo: string, path: string | undefined): string {
  return `${repo}#${(path ?? '').replace(/^\.?\/+|\/+$/g, '')}`;
}
