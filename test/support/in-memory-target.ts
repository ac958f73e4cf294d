// In-memory ports for unit tests of the reconcile pass, no API server: a target cluster holding
// Kyverno policies (TargetPort) and a management cluster holding kspec's objects and Events
// (ManagementPort), both in maps. Each answers as the API server does where the pass relies on
// it (a create of a name that exists is a 409, a revert of a policy edited since it was observed
// is a 409, a delete is of the uid observed, a write into a missing namespace is a 404), records
// what was written, and can be told to fail a call so that tests drive faults.
import type { EventInput } from '../../src/cluster/kspec-store.ts';
import { ClusterError } from '../../src/cluster/api-error.ts';
import type { KspecObject, ManagementPort } from '../../src/cluster/management-port.ts';
import type { ObservedTarget, TargetPort } from '../../src/cluster/target-port.ts';
import { InMemoryReads } from '../../src/compliance/in-memory-reads.ts';
import type { KubeItem } from '../../src/compliance/compliance-reads.ts';
import { policyKey } from '../../src/render/desired-policy.ts';
import type { KyvernoPolicy } from '../../src/render/desired-policy.ts';
import { isOwnedBySpec, MANAGED_BY, MANAGER } from '../../src/render/ownership.ts';
import type { SpecIdentity } from '../../src/render/ownership.ts';
import { TimeoutError } from '../../src/util/with-timeout.ts';

/** The failures an API server hands kspec, as kspec's client reports them. */
export const apiFaults = {
  /** RBAC or an admission webhook refused the write. */
  refused: (what = 'write') => new ClusterError(`${what}: HTTP 403: forbidden`, 403),
  /** Someone changed the object since it was read. */
  conflict: (what = 'write') => new ClusterError(`${what}: HTTP 409: the object has been modified; please apply your changes to the latest version and try again`, 409),
  /** The request got no answer in time. */
  timeout: (what = 'request') => new TimeoutError(`${what} timed out after 10000 ms`),
  /** The API server is there but not serving. */
  unavailable: (what = 'request') => new ClusterError(`${what}: HTTP 503: the server is currently unable to handle the request`, 503),
};

interface Fault<Call extends string> {
  call: Call;
  /** Only calls on the object of this name (a policy's or kspec object's metadata.name). */
  name?: string;
  error: Error;
  /** Calls left to fail; Infinity: all of them. */
  left: number;
}

/** Calls told to fail, and which fail now. */
class Faults<Call extends string> {
  private readonly faults: Fault<Call>[] = [];

  add(call: Call, error: Error, options: { name?: string; times?: number }): void {
    this.faults.push({ call, error, left: options.times ?? Infinity, ...(options.name ? { name: options.name } : {}) });
  }

  /** Throws the error of the first fault matching this call, if any. */
  check(call: Call, name?: string): void {
    const fault = this.faults.find((f) => f.call === call && f.left > 0 && (f.name === undefined || f.name === name));
    if (!fault) return;
    fault.left--;
    throw fault.error;
  }
}

const clone = <T>(value: T): T => structuredClone(value);

type PolicyCall = 'list' | 'create' | 'revert' | 'delete' | 'storedForm';

/** One write the target's store took (dry runs store nothing and are not listed). */
export interface PolicyWrite {
  call: 'create' | 'revert' | 'delete';
  /** policyKey of the policy written. */
  policy: string;
}

/**
 * A target cluster's Kyverno policies, in memory. Like a real pass's port, it observes once per
 * pass: call startPass() between passes. The API server's own defaulting is not modelled: a
 * policy is stored as written.
 */
export class InMemoryTarget implements TargetPort {
  readonly id: string;
  /** The policies on the cluster, by policyKey, as stored. */
  readonly policies = new Map<string, KyvernoPolicy>();
  /** The cluster's other objects (Pods, Namespaces, policy reports, ...), for the compliance stage. */
  readonly resources: KubeItem[] = [];
  /** Every write that changed the store, in order. */
  readonly writes: PolicyWrite[] = [];
  /** How many times the policies were listed: once per pass, whatever the number of specs. */
  lists = 0;
  private readonly faults = new Faults<PolicyCall>();
  private readonly held: { call: PolicyCall; name: string; released: Promise<void> }[] = [];
  private observation: ObservedTarget | undefined;
  private version = 0;

  constructor(id = 'https://in-memory.target') {
    this.id = id;
  }

  /**
   * Fails calls of one kind (on the policy named `name`, when given) with `error`, `times` times
   * (default: every time).
   */
  fail(call: PolicyCall, error: Error, options: { name?: string; times?: number } = {}): this {
    this.faults.add(call, error, options);
    return this;
  }

  /**
   * Holds calls of one kind on the policy named `name` until the returned function is called:
   * to make writes finish in another order than they started.
   */
  hold(call: PolicyCall, name: string): () => void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held.push({ call, name, released });
    return release;
  }

  /** A new pass: the next observation lists again. */
  startPass(): void {
    this.observation = undefined;
  }

  /** Stores a policy as another client would (kubectl, a former pass); returns it as stored. */
  put(policy: KyvernoPolicy): KyvernoPolicy {
    const stored = this.stamped(clone(policy), { uid: `uid-${++this.version}`, generation: 1 });
    this.policies.set(policyKey(stored), stored);
    return clone(stored);
  }

  /** Edits a stored policy as someone else would (kubectl edit): a new resourceVersion. */
  edit(key: string, change: (policy: KyvernoPolicy) => void): void {
    const policy = this.policies.get(key);
    if (!policy) throw new Error(`no policy ${key} to edit`);
    change(policy);
    this.stamped(policy, { generation: ((policy.metadata as { generation?: number }).generation ?? 1) + 1 });
  }

  observe(): ObservedTarget {
    this.observation ??= this.observationOfThisPass();
    return this.observation;
  }

  async create(policy: KyvernoPolicy, dryRun: boolean): Promise<KyvernoPolicy> {
    const key = policyKey(policy);
    await this.heldUntilReleased('create', policy.metadata.name);
    this.faults.check('create', policy.metadata.name);
    if (this.policies.has(key)) throw new ClusterError(`${key} exists but is not managed by this spec; kspec leaves it alone`, 409);
    const stored = this.stamped(clone(policy), { uid: `uid-${++this.version}`, generation: 1 });
    if (dryRun) return stored;
    this.policies.set(key, stored);
    this.writes.push({ call: 'create', policy: key });
    return clone(stored);
  }

  async revert(desired: KyvernoPolicy, live: KyvernoPolicy, dryRun: boolean): Promise<KyvernoPolicy> {
    const key = policyKey(desired);
    await this.heldUntilReleased('revert', desired.metadata.name);
    this.faults.check('revert', desired.metadata.name);
    const current = this.policies.get(key);
    if (!current) throw new ClusterError(`revert ${key}: HTTP 404: not found`, 404);
    if (resourceVersionOf(current) !== resourceVersionOf(live)) throw apiFaults.conflict(`revert ${key}`);
    const replaced: KyvernoPolicy = {
      ...clone(desired),
      metadata: {
        ...clone(current.metadata),
        labels: { ...current.metadata.labels, ...desired.metadata.labels },
        annotations: { ...current.metadata.annotations, ...desired.metadata.annotations },
      },
    };
    const stored = this.stamped(replaced, { generation: ((current.metadata as { generation?: number }).generation ?? 1) + 1 });
    if (dryRun) return stored;
    this.policies.set(key, stored);
    this.writes.push({ call: 'revert', policy: key });
    return clone(stored);
  }

  async delete(policy: KyvernoPolicy, dryRun: boolean): Promise<void> {
    const key = policyKey(policy);
    await this.heldUntilReleased('delete', policy.metadata.name);
    this.faults.check('delete', policy.metadata.name);
    const current = this.policies.get(key);
    if (!current) return;
    const uid = (policy.metadata as { uid?: string }).uid;
    if (uid && uid !== (current.metadata as { uid?: string }).uid) throw new ClusterError(`delete ${key}: HTTP 409: Precondition failed: UID in precondition: ${uid}`, 409);
    if (dryRun) return;
    this.policies.delete(key);
    this.writes.push({ call: 'delete', policy: key });
  }

  async storedForm(policy: KyvernoPolicy): Promise<KyvernoPolicy> {
    this.faults.check('storedForm', policy.metadata.name);
    return clone(policy);
  }

  private observationOfThisPass(): ObservedTarget {
    let owned: Promise<KyvernoPolicy[]> | undefined;
    const list = async (): Promise<KyvernoPolicy[]> => {
      this.faults.check('list');
      this.lists++;
      return [...this.policies.values()].filter((p) => p.metadata.labels?.[MANAGED_BY] === MANAGER).map(clone);
    };
    // What the compliance stage reads: the other objects put on the cluster, and its policies.
    const reads = new InMemoryReads({ objects: [...this.resources, ...[...this.policies.values()].map((p) => clone(p) as unknown as KubeItem)] });
    return {
      policiesOf: async (spec: SpecIdentity) => {
        // Listed once for the pass; a failed LIST is not kept, as with a real target.
        owned ??= list().catch((err: unknown) => {
          owned = undefined;
          throw err;
        });
        return (await owned).filter((p) => isOwnedBySpec(p.metadata.labels, spec));
      },
      resolveKind: (spelling) => reads.resolveKind(spelling),
      findType: (apiVersion, kind) => reads.findType(apiVersion, kind),
      pages: (type, options) => reads.pages(type, options),
      namespaceLabels: () => reads.namespaceLabels(),
      resolvers: (options) => reads.resolvers(options),
    };
  }

  private async heldUntilReleased(call: PolicyCall, name: string): Promise<void> {
    await Promise.all(this.held.filter((h) => h.call === call && h.name === name).map((h) => h.released));
  }

  private stamped(policy: KyvernoPolicy, fields: { uid?: string; generation: number }): KyvernoPolicy {
    Object.assign(policy.metadata, { ...fields, resourceVersion: String(++this.version) });
    return policy;
  }
}

const resourceVersionOf = (policy: KyvernoPolicy) => (policy.metadata as { resourceVersion?: string }).resourceVersion;

type ManagementCall = 'get' | 'list' | 'apply' | 'applyStatus' | 'delete' | 'recordEvent' | 'ensureNamespace';

/** One write the management cluster took. */
export interface KspecWrite {
  call: 'apply' | 'applyStatus' | 'delete';
  /** kind/namespace/name */
  object: string;
}

/** An Event as recorded, with the number of the pass that recorded it (see startPass). */
export type RecordedEvent = EventInput & { pass: number };

const objectKey = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace}/${name}`;

/**
 * kspec's objects in the management cluster, in memory. An apply keeps the status and merges
 * labels and annotations with what others set (as server-side apply does for fields kspec does
 * not own); the status is written only through applyStatus.
 */
export class InMemoryManagement implements ManagementPort {
  /** Objects by kind/namespace/name, as stored. */
  readonly objects = new Map<string, KspecObject>();
  readonly namespaces: Set<string>;
  readonly events: RecordedEvent[] = [];
  readonly writes: KspecWrite[] = [];
  /** Counts passes (startPass), for the Events each recorded. */
  pass = 0;
  private readonly faults = new Faults<ManagementCall>();
  private version = 0;

  constructor(namespaces: string[] = ['kspec-system']) {
    this.namespaces = new Set(namespaces);
  }

  /** See InMemoryTarget.fail. */
  fail(call: ManagementCall, error: Error, options: { name?: string; times?: number } = {}): this {
    this.faults.add(call, error, options);
    return this;
  }

  startPass(): void {
    this.pass++;
  }

  /** The stored object, or undefined (what `kubectl get` would show). */
  object<T extends KspecObject>(kind: T['kind'], namespace: string, name: string): T | undefined {
    return this.objects.get(objectKey(kind, namespace, name)) as T | undefined;
  }

  /** Writes of this kind of call and object kind. */
  writesOf(call: KspecWrite['call'], kind: KspecObject['kind']): KspecWrite[] {
    return this.writes.filter((w) => w.call === call && w.object.startsWith(`${kind}/`));
  }

  async get<T extends KspecObject>(kind: T['kind'], namespace: string, name: string): Promise<T | undefined> {
    this.faults.check('get', name);
    const found = this.object<T>(kind, namespace, name);
    return found && clone(found);
  }

  async listManaged<T extends KspecObject>(kind: T['kind']): Promise<T[]> {
    return (await this.listAll<T>(kind)).filter((o) => o.metadata.labels?.[MANAGED_BY] === MANAGER);
  }

  async listAll<T extends KspecObject>(kind: T['kind']): Promise<T[]> {
    this.faults.check('list');
    return [...this.objects.values()].filter((o) => o.kind === kind).map((o) => clone(o) as T);
  }

  async apply<T extends KspecObject>(object: T): Promise<T> {
    const { name, namespace } = object.metadata;
    this.faults.check('apply', name);
    if (!this.namespaces.has(namespace!)) throw new ClusterError(`apply ${object.kind} ${namespace}/${name}: HTTP 404: namespaces "${namespace}" not found`, 404);
    const key = objectKey(object.kind, namespace, name);
    const current = this.objects.get(key);
    const { status: _status, ...desired } = clone(object) as T & { status?: unknown };
    const metadata = current?.metadata as { uid?: string; generation?: number } | undefined;
    const specChanged = JSON.stringify(current?.spec) !== JSON.stringify(desired.spec);
    const stored = {
      ...desired,
      metadata: {
        ...desired.metadata,
        labels: { ...current?.metadata.labels, ...desired.metadata.labels },
        annotations: { ...current?.metadata.annotations, ...desired.metadata.annotations },
        uid: metadata?.uid ?? `uid-${++this.version}`,
        generation: (metadata?.generation ?? 0) + (specChanged ? 1 : 0),
        resourceVersion: String(++this.version),
      },
      ...(current?.status ? { status: current.status } : {}),
    } as T;
    this.objects.set(key, stored);
    this.writes.push({ call: 'apply', object: key });
    return clone(stored);
  }

  async applyStatus<T extends KspecObject>(object: T, _previous?: T): Promise<T> {
    const { name, namespace } = object.metadata;
    this.faults.check('applyStatus', name);
    const key = objectKey(object.kind, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw new ClusterError(`apply status of ${object.kind} ${namespace}/${name}: HTTP 404: not found`, 404);
    // kspec is the only writer of these statuses: what it applies is the whole status.
    const stored = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.version) }, status: clone(object.status) } as T;
    this.objects.set(key, stored);
    this.writes.push({ call: 'applyStatus', object: key });
    return clone(stored);
  }

  async delete(kind: KspecObject['kind'], namespace: string, name: string): Promise<void> {
    this.faults.check('delete', name);
    const key = objectKey(kind, namespace, name);
    if (!this.objects.delete(key)) return;
    this.writes.push({ call: 'delete', object: key });
  }

  async recordEvent(event: EventInput): Promise<void> {
    this.faults.check('recordEvent', event.involved.name);
    if (!this.namespaces.has(event.involved.namespace)) throw new ClusterError(`record event ${event.reason}: HTTP 404: namespaces "${event.involved.namespace}" not found`, 404);
    this.events.push({ ...clone(event), pass: this.pass });
  }

  async ensureNamespace(name: string): Promise<void> {
    this.faults.check('ensureNamespace', name);
    this.namespaces.add(name);
  }
}
