// What happens to the Kyverno policies an installation of kspec put in its clusters when it is
// uninstalled, by the operator's explicit choice:
//
//   delete   each policy is deleted (exactly the object listed: uid precondition);
//   keep     each policy stays as it is, but kspec's ownership labels come off, so no kspec
//            (a reinstall, another installation) ever selects, changes or prunes it again.
//
// Only policies of this installation are touched: kspec's labels with kspec.io/spec-namespace
// equal to its namespace (and kspec.io/spec, when one spec is named). The clusters are the
// management cluster and every ClusterTarget in the namespace (Git targets are mirrored there).
// A running kspec would put deleted policies back and label kept ones again, so the caller first
// checks that none runs (runningKspec).
import type { KubeConfig } from '../cluster/kube-config.ts';
import { LeaseClient } from '../cluster/lease-client.ts';
import type { ClusterTarget } from '../api/types.ts';
import { KspecStore } from '../cluster/kspec-store.ts';
import { PolicyClient } from '../cluster/policy-client.ts';
import { resolveTarget } from '../cluster/targets.ts';
import { failedTo } from '../cluster/api-error.ts';
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import { policyKey } from '../render/desired-policy.ts';
import { MANAGED_BY, MANAGER, OWNED_BY_KSPEC_SELECTOR, SPEC_LABEL, SPEC_NAMESPACE_LABEL } from '../render/ownership.ts';

export type PolicyChoice = 'delete' | 'keep';

export interface UninstallOptions {
  management: KubeConfig;
  /** kspec's namespace: its specs, targets and Leases, and the kspec.io/spec-namespace of its policies. */
  namespace: string;
  policies: PolicyChoice;
  /** Only this spec's policies. */
  spec?: string;
  dryRun: boolean;
}

export interface PolicyOutcome {
  cluster: string;
  policy: string;
  spec: string;
  action: 'deleted' | 'kept' | 'failed';
  error?: string;
}

export interface UninstallResult {
  policies: PolicyOutcome[];
  /** Clusters that could not be reached or listed: their policies are unknown and untouched. */
  clusterErrors: { cluster: string; error: string }[];
}

/** A cluster to clean, under the target names that point at it. */
interface Cluster {
  names: string[];
  kc?: KubeConfig;
  error?: string;
}

export async function uninstallPolicies(options: UninstallOptions): Promise<UninstallResult> {
  const result: UninstallResult = { policies: [], clusterErrors: [] };
  let selector = `${OWNED_BY_KSPEC_SELECTOR},${SPEC_NAMESPACE_LABEL}=${options.namespace}`;
  if (options.spec) selector += `,${SPEC_LABEL}=${options.spec}`;
  for (const cluster of await clustersOf(options.management, options.namespace)) {
    const name = cluster.names.join(', ');
    if (!cluster.kc) {
      result.clusterErrors.push({ cluster: name, error: cluster.error! });
      continue;
    }
    const client = new PolicyClient(cluster.kc);
    let owned: KyvernoPolicy[];
    try {
      owned = await client.list(selector);
    } catch (err) {
      result.clusterErrors.push({ cluster: name, error: (err as Error).message });
      continue;
    }
    for (const policy of owned) {
      const outcome: PolicyOutcome = { cluster: name, policy: policyKey(policy), spec: policy.metadata.labels?.[SPEC_LABEL] ?? '', action: options.policies === 'delete' ? 'deleted' : 'kept' };
      try {
        if (options.policies === 'delete') await client.delete(policy, options.dryRun);
        else await client.release(policy, ownershipLabels(policy), options.dryRun);
      } catch (err) {
        Object.assign(outcome, { action: 'failed', error: (err as Error).message });
      }
      result.policies.push(outcome);
    }
  }
  return result;
}

/** The labels by which kspec owns a policy: managed-by and every kspec.io/ label. */
function ownershipLabels(policy: KyvernoPolicy): string[] {
  const labels = Object.keys(policy.metadata.labels ?? {}).filter((l) => l.startsWith('kspec.io/'));
  if (policy.metadata.labels?.[MANAGED_BY] === MANAGER) labels.push(MANAGED_BY);
  return labels;
}

/**
 * The management cluster (in-cluster targets are it) and each remote ClusterTarget of the
 * namespace. A target whose kubeconfig Secret cannot be read is reported, not skipped in silence.
 */
async function clustersOf(management: KubeConfig, namespace: string): Promise<Cluster[]> {
  const store = new KspecStore(management);
  const targets = (await store.listAll<ClusterTarget>('ClusterTarget')).filter((t) => t.metadata.namespace === namespace);
  const local: Cluster = { names: [], kc: management };
  const remote: Cluster[] = [];
  for (const target of targets) {
    const name = target.metadata.name;
    if (target.spec.inCluster || !target.spec.kubeconfig?.secretRef) {
      local.names.push(name);
      continue;
    }
    try {
      remote.push({ names: [name], kc: (await resolveTarget({ name, namespace }, new Map([[`${namespace}/${name}`, target]]), store, management)).kc });
    } catch (err) {
      remote.push({ names: [name], error: `cannot connect: ${(err as Error).message}` });
    }
  }
  if (!local.names.length) local.names.push('(management cluster)');
  return [local, ...remote];
}

/**
 * A kspec that still runs in the namespace, named by the Lease it holds: held by someone and
 * renewed within twice its duration (and at least 30 s, for clock skew). Without leader
 * election a running kspec holds no Lease: stopping it is then the caller's business.
 */
export async function runningKspec(management: KubeConfig, namespace: string, now = Date.now()): Promise<string | undefined> {
  let leases;
  try {
    leases = await new LeaseClient(management, namespace).list();
  } catch (err) {
    throw failedTo(`list Leases in ${namespace}`, err);
  }
  for (const lease of leases) {
    const holder = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : NaN;
    const window = Math.max(2 * (lease.spec?.leaseDurationSeconds ?? 15), 30) * 1000;
    if (holder && now - renewed < window) return `Lease ${namespace}/${lease.metadata?.name} is held by ${holder}, renewed ${Math.max(0, Math.round((now - renewed) / 1000))} s ago`;
  }
  return undefined;
}
