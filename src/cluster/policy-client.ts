import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { KyvernoPolicy, PolicyKind } from '../render/desired-policy.ts';
import { policyKey } from '../render/desired-policy.ts';
import { toClusterError, isNotFound } from './api-error.ts';

export const FIELD_MANAGER = 'kspec';
const KINDS: PolicyKind[] = ['ClusterPolicy', 'Policy'];
const PAGE = 500;

/** The only code that reads and writes Kyverno policies in a target cluster. */
export class PolicyClient {
  private readonly api: KubernetesObjectApi;

  constructor(kc: KubeConfig) {
    this.api = KubernetesObjectApi.makeApiClient(kc);
  }

  /** Every ClusterPolicy and Policy (all namespaces) matching the label selector: one paginated LIST per kind. */
  async list(labelSelector: string): Promise<KyvernoPolicy[]> {
    const all: KyvernoPolicy[] = [];
    for (const kind of KINDS) {
      let continueToken: string | undefined;
      do {
        try {
          const page = await this.api.list<KubernetesObject>('kyverno.io/v1', kind, undefined, undefined, undefined, undefined, undefined, labelSelector, PAGE, continueToken);
          for (const item of page.items) all.push({ ...(item as unknown as KyvernoPolicy), apiVersion: 'kyverno.io/v1', kind });
          continueToken = page.metadata?._continue || undefined;
        } catch (err) {
          throw toClusterError(`list ${kind} (is Kyverno installed?)`, err);
        }
      } while (continueToken);
    }
    return all.sort((a, b) => policyKey(a).localeCompare(policyKey(b)));
  }

  /**
   * Creates a policy that is missing. A create, not an apply: if a policy of that name exists
   * without kspec's labels it is someone else's, and the API server's conflict stops kspec from
   * taking it over.
   */
  async create(policy: KyvernoPolicy, dryRun = false): Promise<void> {
    try {
      await this.api.create(policy as unknown as KubernetesObject, undefined, dryRun ? 'All' : undefined, FIELD_MANAGER);
    } catch (err) {
      const error = toClusterError(`create ${policyKey(policy)}`, err);
      if (error.code === 409) error.message = `${policyKey(policy)} exists but is not managed by this spec; kspec leaves it alone`;
      throw error;
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
      return (await this.api.create(probe as unknown as KubernetesObject, undefined, 'All', FIELD_MANAGER)) as unknown as KyvernoPolicy;
    } catch (err) {
      throw toClusterError(`dry-run create ${policyKey(policy)}`, err);
    }
  }

  /** Server-side apply of a policy kspec owns; force, because reverting out-of-band edits is the point. */
  async apply(policy: KyvernoPolicy, dryRun = false): Promise<void> {
    try {
      await this.api.patch(policy as unknown as KubernetesObject, undefined, dryRun ? 'All' : undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      throw toClusterError(`apply ${policyKey(policy)}`, err);
    }
  }

  /** Deletes exactly the object observed (uid precondition), so a re-created namesake survives. */
  async delete(policy: KyvernoPolicy, dryRun = false): Promise<void> {
    const uid = (policy.metadata as { uid?: string }).uid;
    try {
      // With a body, the API server takes the options from it and ignores the query string: the
      // dry-run flag must be in the body too, or a dry run deletes for real.
      const options = { ...(uid ? { preconditions: { uid } } : {}), ...(dryRun ? { dryRun: ['All'] } : {}) };
      await this.api.delete(policy as unknown as KubernetesObject, undefined, dryRun ? 'All' : undefined, undefined, undefined, undefined, options);
    } catch (err) {
      if (isNotFound(err)) return;
      throw toClusterError(`delete ${policyKey(policy)}`, err);
    }
  }
}
