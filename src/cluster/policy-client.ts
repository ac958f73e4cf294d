import type { KubeConfig } from './kube-config.ts';
import type { KyvernoPolicy, PolicyKind } from '../render/desired-policy.ts';
import { policyKey } from '../render/desired-policy.ts';
import { kubeJson } from './http-get.ts';
import { ClusterError, isNotFound, isNotServed } from './api-error.ts';
import { trimObject } from './trim.ts';
import { Discovery } from './discovery.ts';

export const FIELD_MANAGER = 'kspec';
const KINDS: PolicyKind[] = ['ClusterPolicy', 'Policy'];
const PAGE = 500;
const PLURAL: Record<PolicyKind, string> = { ClusterPolicy: 'clusterpolicies', Policy: 'policies', ValidatingPolicy: 'validatingpolicies' };
/** Kyverno's CEL policy kind, listed at whichever policies.kyverno.io version the cluster prefers. */
const VALIDATING_POLICY = 'policies.kyverno.io/*/ValidatingPolicy';

interface PolicyList {
  items?: KyvernoPolicy[];
  metadata?: { continue?: string };
}

/** The API version a kind is served at: ValidatingPolicies at the version they are written in. */
function apiVersionOf(kind: PolicyKind, apiVersion?: string): string {
  return kind === 'ValidatingPolicy' && apiVersion ? apiVersion : 'kyverno.io/v1';
}

/** Where a policy lives: the collection (for create and list) and the object itself. */
function collectionPath(kind: PolicyKind, namespace?: string, apiVersion?: string): string {
  const base = `/apis/${apiVersionOf(kind, apiVersion)}`;
  return kind === 'Policy' && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/policies` : `${base}/${PLURAL[kind]}`;
}

function objectPath(policy: KyvernoPolicy): string {
  return `${collectionPath(policy.kind, policy.metadata.namespace, policy.apiVersion)}/${encodeURIComponent(policy.metadata.name)}`;
}

/** The API server's reason, without the method and path kubeJson puts first. */
function reason(err: unknown): string {
  return (err as Error).message.replace(/^[A-Z]+ \S+: /, '');
}

/**
 * What to tell a user whose cluster does not serve a policy kind: Kyverno is missing, or older
 * than the kind. Kyverno serves kyverno.io/v1 since 1.0 and ValidatingPolicies since 1.14
 * (v1alpha1; v1 since 1.17).
 */
function notServedMessage(kind: PolicyKind, apiVersion: string): string {
  return kind === 'ValidatingPolicy'
    ? `this cluster does not serve ${apiVersion} ValidatingPolicy: Kyverno is not installed or older than the version that serves it (1.14 for v1alpha1, 1.17 for v1); see docs/install.md`
    : `Kyverno is not installed in this cluster: the API server does not serve ${apiVersion} ${kind}; install Kyverno first (docs/install.md)`;
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) q.set(key, value);
  return q.size ? `?${q}` : '';
}

/**
 * The only code that reads and writes Kyverno policies in a target cluster. Every request goes
 * through the cluster's client-side limits (request-limiter.ts), so callers may send many at once.
 */
export class PolicyClient {
  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  /**
   * Every ClusterPolicy and Policy (all namespaces) and ValidatingPolicy matching the label
   * selector: one paginated LIST per kind. Objects come back trimmed (no managedFields): nothing
   * kspec compares is there. A cluster whose Kyverno predates ValidatingPolicies (no
   * policies.kyverno.io group) has none. An identity without the right to list them (RBAC from
   * before ValidatingPolicies) sees none either: that can make kspec try to create one, which
   * fails with the same 403, and never prune one.
   */
  async list(labelSelector: string): Promise<KyvernoPolicy[]> {
    const all: KyvernoPolicy[] = [];
    const kinds: Array<{ apiVersion: string; kind: PolicyKind }> = KINDS.map((kind) => ({ apiVersion: 'kyverno.io/v1', kind }));
    let validatingPolicy;
    try {
      validatingPolicy = (await Discovery.for(this.kc).resolve(VALIDATING_POLICY)).types[0];
    } catch (err) {
      throw new ClusterError(`discover ValidatingPolicy: ${reason(err)}`, (err as ClusterError).code);
    }
    if (validatingPolicy) kinds.push({ apiVersion: validatingPolicy.apiVersion, kind: 'ValidatingPolicy' });
    for (const { apiVersion, kind } of kinds) {
      let continueToken: string | undefined;
      do {
        let page: PolicyList;
        try {
          page = await kubeJson<PolicyList>(this.kc, collectionPath(kind, undefined, apiVersion) + query({ labelSelector, limit: String(PAGE), continue: continueToken }));
        } catch (err) {
          if (kind === 'ValidatingPolicy' && (err as ClusterError).code === 403) break;
          if (isNotServed(err)) throw new ClusterError(notServedMessage(kind, apiVersion), 404);
          throw new ClusterError(`list ${kind}: ${reason(err)}`, (err as ClusterError).code);
        }
        for (const item of page.items ?? []) all.push({ ...trimObject(item), apiVersion, kind });
        continueToken = page.metadata?.continue || undefined;
      } while (continueToken);
    }
    return all.sort((a, b) => policyKey(a).localeCompare(policyKey(b)));
  }

  /**
   * Creates a policy that is missing, and returns it as stored. A create, not an apply: if a policy of that name exists
   * without kspec's labels it is someone else's, and the API server's conflict stops kspec from
   * taking it over.
   */
  async create(policy: KyvernoPolicy, dryRun = false): Promise<KyvernoPolicy> {
    try {
      const stored = await kubeJson<KyvernoPolicy>(this.kc, collectionPath(policy.kind, policy.metadata.namespace, policy.apiVersion) + query({ fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined }), { method: 'POST', body: policy });
      return { ...trimObject(stored), apiVersion: apiVersionOf(policy.kind, policy.apiVersion), kind: policy.kind };
    } catch (err) {
      const code = (err as ClusterError).code;
      if (code === 409) throw new ClusterError(`${policyKey(policy)} exists but is not managed by this spec; kspec leaves it alone`, 409);
      if (isNotServed(err)) throw new ClusterError(`create ${policyKey(policy)}: ${notServedMessage(policy.kind, apiVersionOf(policy.kind, policy.apiVersion))}`, 404);
      throw new ClusterError(`create ${policyKey(policy)}: ${reason(err)}`, code);
    }
  }

  /**
   * What the API server would store for this policy: a create with dryRun=All, so CRD defaulting
   * and pruning and the mutating webhooks (Kyverno's own) run and nothing is stored. Under a
   * generated name, since a dry-run create of a name that exists is a conflict.
   */
  async storedForm(policy: KyvernoPolicy): Promise<KyvernoPolicy> {
    const { name, ...metadata } = policy.metadata;
    const probe = { ...policy, metadata: { ...metadata, generateName: `${name.slice(0, 40)}-` } };
    try {
      return await kubeJson<KyvernoPolicy>(this.kc, collectionPath(policy.kind, policy.metadata.namespace, policy.apiVersion) + query({ fieldManager: FIELD_MANAGER, dryRun: 'All' }), { method: 'POST', body: probe });
    } catch (err) {
      throw new ClusterError(`dry-run create ${policyKey(policy)}: ${reason(err)}`, (err as ClusterError).code);
    }
  }

  /**
   * Puts a modified policy back as desired, and returns it as stored: its spec replaced whole,
   * kspec's labels and annotations set, the rest of the live metadata (other managers' labels and
   * annotations) kept. A replace rather than a server-side apply, which would leave in place the
   * spec fields another manager added (a `failurePolicy: Ignore`, failure action overrides).
   * Conditional on the resourceVersion observed, so an edit made since is not overwritten unseen:
   * it fails with a conflict and the next pass compares again.
   */
  async revert(policy: KyvernoPolicy, live: KyvernoPolicy, dryRun = false): Promise<KyvernoPolicy> {
    const { managedFields: _dropped, ...metadata } = live.metadata;
    const body = {
      apiVersion: policy.apiVersion,
      kind: policy.kind,
      metadata: {
        ...metadata,
        labels: { ...live.metadata.labels, ...policy.metadata.labels },
        annotations: { ...live.metadata.annotations, ...policy.metadata.annotations },
      },
      spec: policy.spec,
    };
    try {
      const stored = await kubeJson<KyvernoPolicy>(this.kc, objectPath(policy) + query({ fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined }), { method: 'PUT', body });
      return { ...trimObject(stored), apiVersion: apiVersionOf(policy.kind, policy.apiVersion), kind: policy.kind };
    } catch (err) {
      throw new ClusterError(`revert ${policyKey(policy)}: ${reason(err)}`, (err as ClusterError).code);
    }
  }

  /**
   * Takes kspec's ownership labels off a policy, leaving it in place and otherwise untouched: no
   * kspec selects it again, so none will change or prune it. A merge patch that names only those
   * labels, conditional on the resourceVersion observed.
   */
  async release(policy: KyvernoPolicy, labels: string[], dryRun = false): Promise<void> {
    const resourceVersion = (policy.metadata as { resourceVersion?: string }).resourceVersion;
    const body = { metadata: { ...(resourceVersion ? { resourceVersion } : {}), labels: Object.fromEntries(labels.map((l) => [l, null])) } };
    try {
      await kubeJson(this.kc, objectPath(policy) + query({ fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined }), { method: 'PATCH', body, contentType: 'application/merge-patch+json' });
    } catch (err) {
      throw new ClusterError(`release ${policyKey(policy)}: ${reason(err)}`, (err as ClusterError).code);
    }
  }

  /** Deletes exactly the object observed (uid precondition), so a re-created namesake survives. */
  async delete(policy: KyvernoPolicy, dryRun = false): Promise<void> {
    const uid = (policy.metadata as { uid?: string }).uid;
    // With a body, the API server takes the options from it and ignores the query string: the
    // dry-run flag must be in the body too, or a dry run deletes for real.
    const options = { apiVersion: 'v1', kind: 'DeleteOptions', ...(uid ? { preconditions: { uid } } : {}), ...(dryRun ? { dryRun: ['All'] } : {}) };
    try {
      await kubeJson(this.kc, objectPath(policy) + query({ dryRun: dryRun ? 'All' : undefined }), { method: 'DELETE', body: options });
    } catch (err) {
      if (isNotFound(err)) return;
      throw new ClusterError(`delete ${policyKey(policy)}: ${reason(err)}`, (err as ClusterError).code);
    }
  }
}
