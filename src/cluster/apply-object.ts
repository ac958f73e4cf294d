// Server-side apply of the few built-in and kspec kinds that `kspec target add` writes, on any
// cluster a KubeConfig reaches.
import type { KubeConfig } from './kube-config.ts';
import { kubeJson } from './http-get.ts';
import { FIELD_MANAGER } from './policy-client.ts';
import { isNotFound } from './api-error.ts';

export interface AppliedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const RESOURCES: Record<string, { prefix: string; plural: string; namespaced: boolean }> = {
  'v1/Namespace': { prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { prefix: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  'v1/Secret': { prefix: '/api/v1', plural: 'secrets', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
  'kspec.io/v1alpha1/ClusterTarget': { prefix: '/apis/kspec.io/v1alpha1', plural: 'clustertargets', namespaced: true },
};

/** The object's URL path on the API server. */
export function objectPath(object: Pick<AppliedObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const resource = RESOURCES[`${object.apiVersion}/${object.kind}`];
  if (!resource) throw new Error(`kspec cannot apply ${object.apiVersion} ${object.kind}`);
  const { name, namespace } = object.metadata;
  const scope = resource.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
  return `${resource.prefix}${scope}/${resource.plural}/${encodeURIComponent(name)}`;
}

/** Server-side applies the object as kspec's field manager and returns what the server stored. */
export async function applyObject<T extends AppliedObject>(kc: KubeConfig, object: T): Promise<T> {
  return kubeJson<T>(kc, `${objectPath(object)}?fieldManager=${FIELD_MANAGER}&force=true`, { method: 'PATCH', body: object, contentType: 'application/apply-patch+yaml' });
}

/** The object as stored, or undefined when there is none. */
export async function readObject<T extends AppliedObject>(kc: KubeConfig, object: Pick<AppliedObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<T | undefined> {
  try {
    return await kubeJson<T>(kc, objectPath(object));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** `kind/name` as kubectl prints it: `secret/prod-kubeconfig`, `clustertarget.kspec.io/prod`. */
export function kubectlName(object: Pick<AppliedObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const group = object.apiVersion.includes('/') ? `.${object.apiVersion.split('/')[0]}` : '';
  return `${object.kind.toLowerCase()}${group}/${object.metadata.name}`;
}
