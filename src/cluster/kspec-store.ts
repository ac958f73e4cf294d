import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/types.ts';
import type { ClusterSpecification, ClusterTarget, ComplianceReport, DriftReport } from '../api/types.ts';
import { FIELD_MANAGER } from './policy-client.ts';
import { toClusterError, isNotFound } from './api-error.ts';
import { limiterFor } from './request-limiter.ts';
import type { RequestLimiter } from './request-limiter.ts';
import { MANAGED_BY, MANAGER } from '../render/ownership.ts';
import { redactSecretsIn, redactString } from '../redact.ts';

type KspecKind = 'ClusterSpecification' | 'ClusterTarget' | 'ComplianceReport' | 'DriftReport';
const PLURALS: Record<KspecKind, string> = {
  ClusterSpecification: 'clusterspecifications',
  ClusterTarget: 'clustertargets',
  ComplianceReport: 'compliancereports',
  DriftReport: 'driftreports',
};
const applyOptions = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const mergePatchOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type KspecObject = ClusterSpecification | ClusterTarget | ComplianceReport | DriftReport;

export interface EventInput {
  involved: { kind: string; name: string; namespace: string; uid?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * kspec's own resources in the management cluster: spec mirrors, targets, reports and their
 * status, Events, and the Secrets that hold remote kubeconfigs.
 */
export class KspecStore {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly limiter: RequestLimiter;

  constructor(kc: KubeConfig) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.limiter = limiterFor(kc);
  }

  async get<T extends KspecObject>(kind: T['kind'], namespace: string, name: string): Promise<T | undefined> {
    try {
      return (await this.limiter.run(() => this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURALS[kind], namespace, name }))) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw toClusterError(`get ${kind} ${namespace}/${name}`, err);
    }
  }

  /** Objects of a kind that kspec manages, across namespaces. */
  async listManaged<T extends KspecObject>(kind: T['kind']): Promise<T[]> {
    try {
      const list = await this.limiter.run(() => this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURALS[kind], labelSelector: `${MANAGED_BY}=${MANAGER}` }));
      return (list.items ?? []) as T[];
    } catch (err) {
      throw toClusterError(`list ${kind}`, err);
    }
  }

  /** Every object of a kind, across namespaces: kspec's mirrors and what others applied. */
  async listAll<T extends KspecObject>(kind: T['kind']): Promise<T[]> {
    try {
      const list = await this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURALS[kind] });
      return (list.items ?? []) as T[];
    } catch (err) {
      throw toClusterError(`list ${kind}`, err);
    }
  }

  /** Server-side applies the object (without status) and returns what the server stored. */
  async apply<T extends KspecObject>(object: T): Promise<T> {
    const { status: _status, ...body } = withoutEmptyStrings(redactSecretsIn(object)) as T & { status?: unknown };
    const { name, namespace } = object.metadata;
    try {
      return (await this.limiter.run(() => this.custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, plural: PLURALS[object.kind], namespace: namespace!, name, body, fieldManager: FIELD_MANAGER, force: true },
        applyOptions,
      ))) as T;
    } catch (err) {
      throw toClusterError(`apply ${object.kind} ${namespace}/${name}`, err);
    }
  }

  /**
   * Server-side applies the status subresource. The top-level status fields `previous` had and
   * this status lacks are then removed with a merge patch: API servers that do not record who
   * owns status fields (Kubernetes 1.20 does not) keep a field an apply leaves out.
   */
  async applyStatus<T extends KspecObject>(object: T, previous?: T): Promise<T> {
    const { name, namespace } = object.metadata;
    const status = withoutEmptyStrings(redactSecretsIn(object.status)) as Record<string, unknown> | undefined;
    const body = { apiVersion: object.apiVersion, kind: object.kind, metadata: { name, namespace }, status };
    const target = { group: GROUP, version: VERSION, plural: PLURALS[object.kind], namespace: namespace!, name };
    try {
      const applied = (await this.limiter.run(() => this.custom.patchNamespacedCustomObjectStatus({ ...target, body, fieldManager: FIELD_MANAGER, force: true }, applyOptions))) as T;
      const dropped = Object.keys(previous?.status ?? {}).filter((field) => status?.[field] === undefined);
      if (dropped.length === 0) return applied;
      const removal = { status: Object.fromEntries(dropped.map((field) => [field, null])) };
      return (await this.limiter.run(() => this.custom.patchNamespacedCustomObjectStatus({ ...target, body: removal, fieldManager: FIELD_MANAGER }, mergePatchOptions))) as T;
    } catch (err) {
      throw toClusterError(`apply status of ${object.kind} ${namespace}/${name}`, err);
    }
  }

  async delete(kind: KspecKind, namespace: string, name: string): Promise<void> {
    try {
      await this.limiter.run(() => this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURALS[kind], namespace, name }));
    } catch (err) {
      if (!isNotFound(err)) throw toClusterError(`delete ${kind} ${namespace}/${name}`, err);
    }
  }

  async recordEvent(event: EventInput): Promise<void> {
    const now = new Date().toISOString();
    const { involved } = event;
    try {
      await this.limiter.run(() => this.core.createNamespacedEvent({
        namespace: involved.namespace,
        body: {
          metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
          involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: involved.kind, name: involved.name, namespace: involved.namespace, ...(involved.uid ? { uid: involved.uid } : {}) },
          type: event.type,
          reason: event.reason,
          message: redactString(event.message).slice(0, 1024),
          source: { component: 'kspec' },
          reportingComponent: 'kspec',
          reportingInstance: process.env.HOSTNAME ?? 'kspec',
          firstTimestamp: now as unknown as Date,
          lastTimestamp: now as unknown as Date,
          count: 1,
        },
      }));
    } catch (err) {
      throw toClusterError(`record event ${event.reason}`, err);
    }
  }

  async ensureNamespace(name: string): Promise<void> {
    try {
      await this.limiter.run(() => this.core.readNamespace({ name }));
    } catch (err) {
      if (!isNotFound(err)) throw toClusterError(`read namespace ${name}`, err);
      try {
        await this.limiter.run(() => this.core.createNamespace({ body: { metadata: { name } } }));
      } catch (createErr) {
        if ((createErr as { code?: number }).code !== 409) throw toClusterError(`create namespace ${name}`, createErr);
      }
    }
  }

  async readSecretKey(namespace: string, name: string, key: string): Promise<string> {
    try {
      const secret = await this.limiter.run(() => this.core.readNamespacedSecret({ namespace, name }));
      const value = secret.data?.[key];
      if (value === undefined) throw new Error(`Secret ${namespace}/${name} has no key "${key}"`);
      return Buffer.from(value, 'base64').toString('utf8');
    } catch (err) {
      if (err instanceof Error && !('code' in err)) throw err;
      throw toClusterError(`read Secret ${namespace}/${name}`, err);
    }
  }
}

/**
 * The object without its empty-string fields. Server-side apply turns an empty string inside a
 * custom resource into null, which the schema then refuses (HTTP 422): an extra policy without a
 * kspec.io/policy label once failed its whole DriftReport that way. Absent says the same as empty.
 */
export function withoutEmptyStrings<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutEmptyStrings) as T;
  if (value === null || typeof value !== 'object') return value;
  const kept = Object.entries(value).filter(([, v]) => v !== '' && v !== undefined && v !== null);
  return Object.fromEntries(kept.map(([k, v]) => [k, withoutEmptyStrings(v)])) as T;
}
