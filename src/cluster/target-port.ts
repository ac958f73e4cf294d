// The port through which the reconcile pass reaches one target cluster: it observes the target
// once per pass and writes the policies kspec owns there. The pass depends on this interface
// only. ApiServerTarget (api-server-target.ts) implements it over a real API server; the unit
// tests of act, publish, conditions and metrics use test/support/in-memory-target.ts.
import type { KyvernoPolicy } from '../render/desired-policy.ts';
import type { SpecIdentity } from '../render/ownership.ts';
import type { ComplianceReads } from '../compliance/compliance-reads.ts';
import type { StoredFormSource } from './server-form.ts';

/**
 * A target as one pass observes it, shared by every spec aimed at it: the policies each spec
 * owns there (split from one LIST per kind), and everything the compliance stage reads
 * (ComplianceReads: kinds, shared lists, namespace labels, cluster data for policy context).
 */
export interface ObservedTarget extends ComplianceReads {
  /** The policies one spec owns on the target, by its labels. */
  policiesOf(spec: SpecIdentity): Promise<KyvernoPolicy[]>;
}

/** The writes that act makes: each returns or fails as the API server answered. */
export interface PolicyWrites {
  /**
   * Creates a missing policy and returns it as stored. A policy of that name that exists fails
   * with a 409: it is someone else's, and kspec never takes it over.
   */
  create(policy: KyvernoPolicy, dryRun: boolean): Promise<KyvernoPolicy>;
  /**
   * Puts a modified policy back as desired and returns it as stored, conditional on the
   * resourceVersion `live` was observed at: an edit made since fails with a 409, unseen edits
   * are never overwritten.
   */
  revert(desired: KyvernoPolicy, live: KyvernoPolicy, dryRun: boolean): Promise<KyvernoPolicy>;
  /** Deletes exactly the object observed (its uid); one already gone is no error. */
  delete(policy: KyvernoPolicy, dryRun: boolean): Promise<void>;
}

/** What the reconcile pass needs of one target cluster. */
export interface TargetPort extends PolicyWrites, StoredFormSource {
  /** Names the cluster in what is kept across passes (stored forms): its API server's address. */
  readonly id: string;
  /** The target as this pass observes it: the same observation every time it is asked. */
  observe(): ObservedTarget;
}
