import type { KubeConfig } from './kube-config.ts';
import { GROUP, VERSION } from '../api/types.ts';
import type { ClusterSpecification, ClusterTarget, ComplianceReport, DriftReport } from '../api/types.ts';
import { FIELD_MANAGER } from './policy-client.ts';
import { failedTo, isNotFound } from './api-error.ts';
import { kubeJson, query } from './http-get.ts';
import { MANAGED_BY, MANAGER } from '../render/ownership.ts';
import { redactSecretsIn, redactString } from '../redact.ts';

type KspecKind = 'ClusterSpecification' | 'ClusterTarget' | 'ComplianceReport' | 'DriftReport';
const PLURALS: Record<KspecKind, string> = {
  ClusterSpecification: 'clusterspecifications',
  ClusterTarget: 'clustertargets',
  ComplianceReport: 'compliancereports',
  DriftReport: 'driftreports',
};
const APPLY_PATCH = 'application/apply-patch+yaml';
const MERGE_PATCH = 'application/merge-patch+json';

const collection = (kind: KspecKind) => `/apis/${GROUP}/${VERSION}/${PLURALS[kind]}`;
const objectPath = (kind: KspecKind, namespace: string, name: string) =>
  `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURALS[kind]}/${encodeURIComponent(name)}`;

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
  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  async get<T extends KspecObject>(kind: T['kind'], namespace: string, name: string): Promise<T | undefined> {
    try {
      return await kubeJson<T>(this.kc, objectPath(kind, namespace, name));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw failedTo(`get ${kind} ${namespace}/${name}`, err);
    }
  }

  /** Objects of a kind that kspec manages, across namespaces. */
  async listManaged<T extends KspecObject>(kind: T['kind']): Promise<T[]> {
    try {
      const list = await kubeJson<{ items?: T[] }>(this.kc, `${collection(kind)}${query({ labelSelector: `${MANAGED_BY}=${MANAGER}` })}`);
      return list.items ?? [];
    } catch (err) {
      throw failedTo(`list ${kind}`, err);
    }
  }

  /** Every object of a kind, across namespaces: kspec's mirrors and what others applied. */
  async listAll<T extends KspecObject>(kind: T['kind']): Promise<T[]> {
    try {
      const list = await kubeJson<{ items?: T[] }>(this.kc, collection(kind));
      return list.items ?? [];
    } catch (err) {
      throw failedTo(`list ${kind}`, err);
    }
  }

  /** Server-side applies the object (without status) and returns what the server stored. */
  async apply<T extends KspecObject>(object: T): Promise<T> {
    const { status: _status, ...body } = withoutEmptyStrings(redactSecretsIn(object)) as T & { status?: unknown };
    const { name, namespace } = object.metadata;
    try {
      return await kubeJson<T>(this.kc, `${objectPath(object.kind, namespace!, name)}${query({ fieldManager: FIELD_MANAGER, force: true })}`, { method: 'PATCH', body, contentType: APPLY_PATCH });
    } catch (err) {
      throw failedTo(`apply ${object.kind} ${namespace}/${name}`, err);
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
    const statusPath = `${objectPath(object.kind, namespace!, name)}/status`;
    try {
      const applied = await kubeJson<T>(this.kc, `${statusPath}${query({ fieldManager: FIELD_MANAGER, force: true })}`, { method: 'PATCH', body, contentType: APPLY_PATCH });
      const dropped = Object.keys(previous?.status ?? {}).filter((field) => status?.[field] === undefined);
      if (dropped.length === 0) return applied;
      const removal = { status: Object.fromEntries(dropped.map((field) => [field, null])) };
      return await kubeJson<T>(this.kc, `${statusPath}${query({ fieldManager: FIELD_MANAGER })}`, { method: 'PATCH', body: removal, contentType: MERGE_PATCH });
    } catch (err) {
      throw failedTo(`apply status of ${object.kind} ${namespace}/${name}`, err);
    }
  }

  async delete(kind: KspecKind, namespace: string, name: string): Promise<void> {
    try {
      await kubeJson(this.kc, objectPath(kind, namespace, name), { method: 'DELETE' });
    } catch (err) {
      if (!isNotFound(err)) throw failedTo(`delete ${kind} ${namespace}/${name}`, err);
    }
  }

  async recordEvent(event: EventInput): Promise<void> {
    const now = new Date().toISOString();
    const { involved } = event;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
      involvedObject: { apiVersion: `${GROUP}/${VERSION}`, kind: involved.kind, name: involved.name, namespace: involved.namespace, ...(involved.uid ? { uid: involved.uid } : {}) },
      type: event.type,
      reason: event.reason,
      message: redactString(event.message).slice(0, 1024),
      source: { component: 'kspec' },
      reportingComponent: 'kspec',
      reportingInstance: process.env.HOSTNAME ?? 'kspec',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await kubeJson(this.kc, `/api/v1/namespaces/${encodeURIComponent(involved.namespace)}/events`, { method: 'POST', body });
    } catch (err) {
      throw failedTo(`record event ${event.reason}`, err);
    }
  }

  async ensureNamespace(name: string): Promise<void> {
    try {
      await kubeJson(this.kc, `/api/v1/namespaces/${encodeURIComponent(name)}`);
    } catch (err) {
      if (!isNotFound(err)) throw failedTo(`read namespace ${name}`, err);
      try {
        await kubeJson(this.kc, '/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
      } catch (createErr) {
        if ((createErr as { code?: number }).code !== 409) throw failedTo(`create namespace ${name}`, createErr);
      }
    }
  }

  async readSecretKey(namespace: string, name: string, key: string): Promise<string> {
    let secret: { data?: Record<string, string> };
    try {
      secret = await kubeJson(this.kc, `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`);
    } catch (err) {
      throw failedTo(`read Secret ${namespace}/${name}`, err);
    }
    const value = secret.data?.[key];
    if (value === undefined) throw new Error(`Secret ${namespace}/${name} has no key "${key}"`);
    return Buffer.from(value, 'base64').toString('utf8');
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
