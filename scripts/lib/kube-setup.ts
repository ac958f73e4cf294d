// Cluster-side helpers shared by scripts/cluster.ts, scripts/test.ts and test/support: writing
// kubeconfigs, server-side applying manifest files, waiting for CRDs, and minting ServiceAccount
// kubeconfigs through the TokenRequest API.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { kubeRequest, KubeHttpError, sleep, type KubeEndpoint } from './kube-http.ts';

export const FIELD_MANAGER = 'kspec-test-support';

export interface KubeconfigInput {
  server: string;
  caPem: string;
  token: string;
  user: string;
  cluster?: string;
  namespace?: string;
}

export function kubeconfigText(k: KubeconfigInput): string {
  const cluster = k.cluster ?? 'kspec-local';
  const context = `${k.user}@${cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: {
          server: k.server,
          'certificate-authority-data': Buffer.from(k.caPem, 'utf8').toString('base64'),
        },
      },
    ],
    users: [{ name: k.user, user: { token: k.token } }],
    contexts: [
      { name: context, context: { cluster, user: k.user, ...(k.namespace ? { namespace: k.namespace } : {}) } },
    ],
    'current-context': context,
    preferences: {},
  });
}

/** Writes a kubeconfig readable only by the owner (it carries a bearer token). */
export async function writeKubeconfig(file: string, k: KubeconfigInput): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, kubeconfigText(k), { mode: 0o600 });
  return file;
}

// ---------------------------------------------------------------------------------------------
// Manifests

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export async function readManifests(files: string[]): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      const obj = doc.toJS();
      if (obj == null) continue;
      if (typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('kustomize.config.k8s.io/')) continue;
      if (obj.kind === 'List' && Array.isArray(obj.items)) out.push(...obj.items);
      else out.push(obj);
    }
  }
  for (const o of out) {
    if (!o?.apiVersion || !o.kind || !o.metadata?.name) {
      throw new Error(`manifest without apiVersion/kind/metadata.name: ${JSON.stringify(o).slice(0, 200)}`);
    }
  }
  return out;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/** Resolves kind -> REST resource through discovery; retries while a new CRD is being served. */
class Discovery {
  private cache = new Map<string, Map<string, ResourceInfo>>();
  private ep: KubeEndpoint;
  constructor(ep: KubeEndpoint) {
    this.ep = ep;
  }

  async resolve(apiVersion: string, kind: string, timeoutMs = 30_000): Promise<ResourceInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let kinds = this.cache.get(apiVersion);
      if (!kinds) {
        const p = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
        const res = await kubeRequest(this.ep, 'GET', p, { allow: [404, 503] });
        if (res.status === 200) {
          kinds = new Map();
          for (const r of res.json().resources ?? []) {
            if (!r.name.includes('/')) kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
          }
          this.cache.set(apiVersion, kinds);
        }
      }
      const info = kinds?.get(kind);
      if (info) return info;
      this.cache.delete(apiVersion);
      if (Date.now() > deadline) throw new Error(`the server does not serve ${kind} in ${apiVersion}`);
      await sleep(300);
    }
  }
}

export function objectPath(obj: KubeObject, info: ResourceInfo): string {
  const base = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
  const ns = info.namespaced ? `/namespaces/${encodeURIComponent(obj.metadata.namespace ?? 'default')}` : '';
  return `${base}${ns}/${info.plural}/${encodeURIComponent(obj.metadata.name)}`;
}

/** Server-side applies one object (force, field manager FIELD_MANAGER). Returns the live object. */
export async function serverSideApply(ep: KubeEndpoint, obj: KubeObject, discovery?: Discovery): Promise<any> {
  const d = discovery ?? new Discovery(ep);
  const info = await d.resolve(obj.apiVersion, obj.kind);
  const p = `${objectPath(obj, info)}?fieldManager=${FIELD_MANAGER}&force=true`;
  const res = await kubeRequest(ep, 'PATCH', p, { body: obj, contentType: 'application/apply-patch+yaml' });
  return res.json();
}

export async function waitForCrdsEstablished(ep: KubeEndpoint, names: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const res = await kubeRequest(ep, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conds: any[] = res.json().status?.conditions ?? [];
      if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established after ${timeoutMs} ms`);
      await sleep(200);
    }
  }
}

/**
 * Server-side applies every object in `files` (multi-document YAML). Namespaces and CRDs go
 * first; the CRDs are awaited until Established before anything else is applied.
 */
export async function applyManifests(ep: KubeEndpoint, files: string[]): Promise<KubeObject[]> {
  const objs = await readManifests(files);
  const first = objs.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  const rest = objs.filter((o) => !first.includes(o));
  const discovery = new Discovery(ep);
  for (const o of first) await serverSideApply(ep, o, discovery);
  const crds = first.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);
  await waitForCrdsEstablished(ep, crds);
  for (const o of rest) await serverSideApply(ep, o, discovery);
  return objs;
}

export async function ensureNamespace(ep: KubeEndpoint, name: string): Promise<void> {
  // 409: it exists already.
  await kubeRequest(ep, 'POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    allow: [409],
  });
}

/**
 * Creates namespace/ServiceAccount if missing, requests a token for it through the TokenRequest
 * API and writes a kubeconfig for it to `file`. The account has no permissions until a test
 * binds some, which makes it the tool for least-privilege checks.
 */
export async function serviceAccountKubeconfig(
  ep: KubeEndpoint,
  namespace: string,
  name: string,
  file: string,
  expirationSeconds = 3600,
): Promise<string> {
  await ensureNamespace(ep, namespace);
  const ns = encodeURIComponent(namespace);
  await kubeRequest(ep, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    allow: [409],
  });
  let token = '';
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await kubeRequest(
        ep,
        'POST',
        `/api/v1/namespaces/${ns}/serviceaccounts/${encodeURIComponent(name)}/token`,
        {
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { expirationSeconds },
          },
        },
      );
      token = res.json().status?.token;
      break;
    } catch (err) {
      // A just-created ServiceAccount can briefly be missing from the cache the endpoint reads.
      if (err instanceof KubeHttpError && err.status === 404 && attempt < 20) {
        await sleep(200);
        continue;
      }
      throw err;
    }
  }
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return writeKubeconfig(file, {
    server: ep.server,
    caPem: ep.caPem,
    token,
    user: `system:serviceaccount:${namespace}:${name}`,
    namespace,
  });
}
