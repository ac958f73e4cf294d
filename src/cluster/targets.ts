import type { KubeConfig } from './kube-config.ts';
import { kubeConfigFromString } from './kubeconfig.ts';
import type { ClusterTarget } from '../api/types.ts';
import type { KspecStore } from './kspec-store.ts';

export interface ResolvedTarget {
  name: string;
  kc: KubeConfig;
  target?: ClusterTarget;
}

/**
 * Finds the cluster a spec targets: the ClusterTarget from Git, else one applied to the
 * management cluster. In-cluster targets use the management connection; remote ones read their
 * kubeconfig from a Secret in the target's namespace, never from Git.
 */
export async function resolveTarget(
  ref: { name: string; namespace: string },
  fromGit: Map<string, ClusterTarget>,
  store: KspecStore,
  management: KubeConfig,
): Promise<ResolvedTarget> {
  const target = fromGit.get(`${ref.namespace}/${ref.name}`) ?? (await store.get<ClusterTarget>('ClusterTarget', ref.namespace, ref.name));
  if (!target) throw new Error(`ClusterTarget ${ref.namespace}/${ref.name} is not defined in Git or in the cluster`);
  const secretRef = target.spec.kubeconfig?.secretRef;
  if (target.spec.inCluster || !secretRef) return { name: ref.name, kc: management, target };
  const key = secretRef.key ?? 'kubeconfig';
  const text = await store.readSecretKey(ref.namespace, secretRef.name, key);
  return { name: ref.name, kc: kubeConfigFromString(text, `the kubeconfig in Secret ${ref.namespace}/${secretRef.name} (key ${key})`), target };
}
