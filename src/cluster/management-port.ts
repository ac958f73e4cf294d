// The port through which the reconcile pass publishes: kspec's own objects in the management
// cluster (spec and target mirrors and their status, ComplianceReports, DriftReports) and the
// Events on them. The pass depends on this interface only; KspecStore implements it over the
// API server, test/support/in-memory-target.ts in memory for unit tests.
import type { ClusterSpecification, ClusterTarget, ComplianceReport, DriftReport } from '../api/types.ts';
import type { EventInput } from './kspec-store.ts';

export type KspecObject = ClusterSpecification | ClusterTarget | ComplianceReport | DriftReport;

export interface ManagementPort {
  /** One object, or undefined when there is none. */
  get<T extends KspecObject>(kind: T['kind'], namespace: string, name: string): Promise<T | undefined>;
  /** The objects of a kind that kspec manages (its label), across namespaces. */
  listManaged<T extends KspecObject>(kind: T['kind']): Promise<T[]>;
  /** Every object of a kind, across namespaces: kspec's and what others applied. */
  listAll<T extends KspecObject>(kind: T['kind']): Promise<T[]>;
  /** Applies the object without its status and returns what was stored. */
  apply<T extends KspecObject>(object: T): Promise<T>;
  /** Writes the status; fields `previous` had and this status lacks are removed. */
  applyStatus<T extends KspecObject>(object: T, previous?: T): Promise<T>;
  /** Deletes one object; one already gone is no error. */
  delete(kind: KspecObject['kind'], namespace: string, name: string): Promise<void>;
  recordEvent(event: EventInput): Promise<void>;
  /** Creates the namespace unless it exists. */
  ensureNamespace(name: string): Promise<void>;
}
