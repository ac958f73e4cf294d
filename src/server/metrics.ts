// The Prometheus metrics kspec exposes on /metrics. deploy/monitoring (alerts, dashboard) uses
// exactly these names; test/deploy checks that it references nothing else.
//
// Labels carry only names of clusters and specs, never secrets or free text.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ViolationLabel } from './metric-labels.ts';

/** Every kspec metric name, with its type. */
export const KSPEC_METRICS = {
  kspec_compliance_score: 'gauge',
  kspec_policy_violations: 'gauge',
  kspec_policy_violations_total: 'counter',
  kspec_drift_events_total: 'counter',
  kspec_reconciliation_duration_seconds: 'histogram',
  kspec_git_fetch_duration_seconds: 'histogram',
  kspec_git_fetch_failures_total: 'counter',
  kspec_last_successful_pass_timestamp_seconds: 'gauge',
  kspec_pass_errors_total: 'counter',
  kspec_policies: 'gauge',
  kspec_leader: 'gauge',
  kspec_webhook_requests_total: 'counter',
  kspec_shard_owned_targets: 'gauge',
  kspec_shard_known_targets: 'gauge',
  kspec_shard_rebalances_total: 'counter',
  kspec_oldest_target_pass_age_seconds: 'gauge',
  kspec_spec_info: 'gauge',
} as const;
export type KspecMetricName = keyof typeof KSPEC_METRICS;

export interface KspecMetrics {
  registry: Registry;
  /** Compliance percentage 0..100 of the last assessed pass. Labels: cluster, spec. */
  complianceScore: Gauge<'cluster' | 'spec'>;
  /** Resources violating each policy now (the true count). Labels: cluster, spec, policy, severity. */
  policyViolationsNow: Gauge<ViolationLabel>;
  /** Violations that appeared, each counted once. Labels: cluster, spec, policy, severity. */
  policyViolations: Counter<ViolationLabel>;
  /**
   * What policyViolations has counted so far, by cluster/spec/policy: the violations standing at
   * the last pass, as sorted fingerprints (see compliance/violation-tally.ts).
   */
  countedViolations: Map<string, Uint32Array>;
  /** Drift that appeared, each counted once. Labels: cluster, spec, type (missing|modified|extra). */
  driftEvents: Counter<'cluster' | 'spec' | 'type'>;
  /** Duration of one spec's reconciliation. Labels: cluster, spec. */
  reconciliationDuration: Histogram<'cluster' | 'spec'>;
  gitFetchDuration: Histogram<string>;
  gitFetchFailures: Counter<string>;
  /** Unix time of the last pass that finished without error. */
  lastSuccessfulPass: Gauge<string>;
  /** Pass failures by stage (source, load, render, observe, diff, act, assess, publish). */
  passErrors: Counter<'stage'>;
  /** Policies by drift state after the last pass. Labels: cluster, spec, state. */
  policies: Gauge<'cluster' | 'spec' | 'state'>;
  /** 1 while this replica holds the lease. */
  leader: Gauge<string>;
  /** Webhook requests by outcome (accepted, ignored, unauthorized, invalid, too_large, too_many, not_configured). */
  webhookRequests: Counter<'outcome'>;
  /** Targets this replica owns (sharded runs). Label: replica. */
  shardOwnedTargets: Gauge<'replica'>;
  /** Targets this replica knows of: the fleet, as its last pass saw it (sharded runs). Label: replica. */
  shardKnownTargets: Gauge<'replica'>;
  /** Targets taken, handed over or lost by this replica. Label: change. */
  shardRebalances: Counter<'change'>;
  /** Seconds since the least recently reconciled of this replica's targets was last reconciled. */
  oldestTargetPassAge: Gauge<string>;
  /** 1 per spec and cluster, labelled with the spec's enforcementMode and remediation, for joins. */
  specInfo: Gauge<'cluster' | 'spec' | 'mode' | 'remediation'>;
}

export interface CreateMetricsOptions {
  registry?: Registry;
  /** Also register prom-client's process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
  /** Read at every scrape: kspec_oldest_target_pass_age_seconds (undefined: no target yet). */
  oldestTargetPassAge?: () => number | undefined;
}

/** Creates and registers every kspec metric on a (by default new) registry. */
export function createMetrics(options: CreateMetricsOptions = {}): KspecMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    complianceScore: new Gauge({
      name: 'kspec_compliance_score',
      help: 'Compliance percentage (0-100) per cluster and spec: compliant policies / policies x 100, as of the last pass that could assess the cluster (the ComplianceReport\'s complianceScore)',
      labelNames: ['cluster', 'spec'],
      registers,
    }),
    policyViolationsNow: new Gauge({
      name: 'kspec_policy_violations',
      help: 'Resources that violate the policy now, as of the last pass that could assess the cluster: the true count, not the examples the ComplianceReport keeps',
      labelNames: ['cluster', 'spec', 'policy', 'severity'],
      registers,
    }),
    policyViolations: new Counter({
      name: 'kspec_policy_violations_total',
      help: 'Violations that appeared: each resource found newly violating a policy counts once; a violation that stands is not counted again, one that was fixed and comes back counts again. increase() over a window gives the violations that appeared in it',
      labelNames: ['cluster', 'spec', 'policy', 'severity'],
      registers,
    }),
    countedViolations: new Map(),
    driftEvents: new Counter({
      name: 'kspec_drift_events_total',
      help: 'Drift that appeared (type: missing, modified, extra): each drifted policy counts once when a pass finds it; drift that stands (monitor mode) is not counted again, drift that kspec fixed and that comes back counts again. rate() gives drift per second',
      labelNames: ['cluster', 'spec', 'type'],
      registers,
    }),
    reconciliationDuration: new Histogram({
      name: 'kspec_reconciliation_duration_seconds',
      help: 'Time one pass took to reconcile one spec against one cluster (observe, act, assess, publish)',
      labelNames: ['cluster', 'spec'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    gitFetchDuration: new Histogram({
      name: 'kspec_git_fetch_duration_seconds',
      help: 'Time to fetch the specs repository',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    gitFetchFailures: new Counter({
      name: 'kspec_git_fetch_failures_total',
      help: 'Failed fetches of the specs repository',
      registers,
    }),
    lastSuccessfulPass: new Gauge({
      name: 'kspec_last_successful_pass_timestamp_seconds',
      help: 'Unix time at which the last pass finished without error',
      registers,
    }),
    passErrors: new Counter({
      name: 'kspec_pass_errors_total',
      help: 'Failures by stage (source, target, observe, act, confirm, assess, publish, write-back): one per failing spec and stage in a pass',
      labelNames: ['stage'],
      registers,
    }),
    policies: new Gauge({
      name: 'kspec_policies',
      help: 'Policies by drift state after the last pass acted (state: in_sync, missing, modified, extra): what still differs now',
      labelNames: ['cluster', 'spec', 'state'],
      registers,
    }),
    leader: new Gauge({
      name: 'kspec_leader',
      help: '1 while this process does the work: it holds the leader Lease, or runs without --leader-elect; 0 on a standby replica',
      registers,
    }),
    webhookRequests: new Counter({
      name: 'kspec_webhook_requests_total',
      help: 'Webhook requests by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    shardOwnedTargets: new Gauge({
      name: 'kspec_shard_owned_targets',
      help: 'ClusterTargets this replica owns (holds the Lease of)',
      labelNames: ['replica'],
      registers,
    }),
    shardKnownTargets: new Gauge({
      name: 'kspec_shard_known_targets',
      help: 'ClusterTargets this replica knows of: the whole fleet, as its last pass saw it',
      labelNames: ['replica'],
      registers,
    }),
    shardRebalances: new Counter({
      name: 'kspec_shard_rebalances_total',
      help: 'Targets this replica took, handed over, or lost to another replica (change: taken, handed_over, lost)',
      labelNames: ['change'],
      registers,
    }),
    oldestTargetPassAge: new Gauge({
      name: 'kspec_oldest_target_pass_age_seconds',
      help: 'Seconds since the least recently reconciled target of this replica was last reconciled',
      registers,
      collect() {
        const age = options.oldestTargetPassAge?.();
        if (age === undefined) this.reset();
        else this.set(age);
      },
    }),
    specInfo: new Gauge({
      name: 'kspec_spec_info',
      help: 'Always 1: how each spec is served (mode: monitor installs policies in Audit, enforce in Enforce; remediation: auto fixes drift, report only reports it)',
      labelNames: ['cluster', 'spec', 'mode', 'remediation'],
      registers,
    }),
  };
}
