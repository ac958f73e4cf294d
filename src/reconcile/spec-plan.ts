import type { ClusterSpecification, ClusterTarget } from '../api/types.ts';
import type { LoadResult, LoadedSpec } from '../spec/load.ts';
import type { SpecError } from '../spec/errors.ts';
import { renderSpec, findCrossSpecClashes } from '../render/render.ts';
import type { DesiredPolicy } from '../render/desired-policy.ts';
import { SOURCE_ANNOTATION, SOURCE_COMMIT_ANNOTATION, SOURCE_FILE_ANNOTATION } from '../render/ownership.ts';

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
   * `git` when the desired state comes from this commit without errors; `last-good` when the
   * spec is failing and its mirror in the cluster supplies the last good state; `none` when
   * there is nothing to hold. Only `git` may prune.
   */
  desiredFrom: 'git' | 'last-good' | 'none';
  /**
   * The spec was removed from Git by a clean commit: it now wants no policies, so enforce mode
   * prunes what it owned, and its mirror and reports go once nothing is left.
   */
  retired?: boolean;
}

/**
 * Whether this commit's desired state is clean: only then may kspec prune extra policies and
 * update the spec's mirror (its last good state). Anything held over from before may not.
 */
export function isCleanFromGit(plan: SpecPlan): boolean {
  return plan.desiredFrom === 'git' && plan.errors.length === 0;
}

/** The namespace/name of the ClusterTarget a spec targets: the unit of sharding. */
export const targetKeyOf = (plan: SpecPlan) => `${plan.namespace}/${plan.spec.spec.targetClusterRef.name}`;

export const specKey = (meta: { name: string; namespace?: string }) => `${meta.namespace ?? 'kspec-system'}/${meta.name}`;

/**
 * Decides every spec's desired state from what was loaded and rendered at this commit, falling
 * back to the last good state (the spec's mirror in the cluster) wherever this commit is broken.
 * Pure.
 */
export function planSpecs(load: LoadResult, commit: string, source: string, allMirrors: ClusterSpecification[], fetchError?: string): SpecPlan[] {
  const plans = new Map<string, SpecPlan>();
  // Only this repository's mirrors: another kspec (a shard, another team) may keep its own.
  const mirrors = allMirrors.filter((m) => m.metadata.annotations?.[SOURCE_ANNOTATION] === source);
  const mirrorByKey = new Map(mirrors.map((m) => [specKey(m.metadata), m]));

  for (const loaded of load.specs) {
    const rendered = renderSpec(loaded, commit);
    const key = specKey(loaded.spec.metadata);
    plans.set(key, {
      key,
      source,
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

  for (const [policy, owners] of findCrossSpecClashes(new Map([...plans].map(([k, p]) => [k, p.desired])))) {
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
      const plan = plans.get(key) ?? failedPlan(key, source, mirrorByKey.get(key));
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
        key, source, name: mirror.metadata.name, namespace: mirror.metadata.namespace!,
        spec: { ...mirror, spec: { ...mirror.spec, policies: [] } },
        sourceCommit: commit, sourceFile: mirror.metadata.annotations?.[SOURCE_FILE_ANNOTATION] ?? '',
        desired: [], errors: [], desiredFrom: 'git', retired: true,
      });
    }
  }

  if (fetchError) {
    for (const [key, mirror] of mirrorByKey) {
      const plan = failedPlan(key, source, mirror);
      plan.errors.push({ file: '', document: 0, line: 0, message: fetchError, specName: mirror.metadata.name });
      plans.set(key, plan);
    }
  }

  for (const plan of plans.values()) {
    if (plan.errors.length > 0 && plan.desiredFrom === 'git') holdLastGood(plan, mirrorByKey.get(plan.key));
  }
  return [...plans.values()].sort((a, b) => a.key.localeCompare(b.key));
}

function failedPlan(key: string, source: string, mirror: ClusterSpecification | undefined): SpecPlan {
  const [namespace, name] = key.split('/');
  const plan: SpecPlan = {
    key, source, name, namespace,
    spec: mirror ?? ({ apiVersion: 'kspec.io/v1alpha1', kind: 'ClusterSpecification', metadata: { name, namespace }, spec: { targetClusterRef: { name: '' }, enforcementMode: 'monitor', policies: [] } } as ClusterSpecification),
    sourceCommit: '', sourceFile: '', desired: [], errors: [], desiredFrom: 'none',
  };
  holdLastGood(plan, mirror);
  return plan;
}

/** The spec is failing: keep enforcing what its mirror holds, the last good desired state. */
function holdLastGood(plan: SpecPlan, mirror: ClusterSpecification | undefined): void {
  if (!mirror) {
    plan.desired = [];
    plan.desiredFrom = 'none';
    return;
  }
  const commit = mirror.metadata.annotations?.[SOURCE_COMMIT_ANNOTATION] ?? '';
  const file = mirror.metadata.annotations?.[SOURCE_FILE_ANNOTATION] ?? '';
  const loaded: LoadedSpec = { spec: mirror, origin: { file, document: 1, line: 1, checkLines: new Map() } };
  plan.spec = mirror;
  plan.sourceCommit = commit;
  plan.sourceFile = file;
  plan.desired = renderSpec(loaded, commit).policies;
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
