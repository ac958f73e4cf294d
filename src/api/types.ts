/** TypeScript shapes of kspec's API (group kspec.io, version v1alpha1). See schemas.ts. */

export const GROUP = 'kspec.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export type EnforcementMode = 'monitor' | 'enforce';
/** auto: kspec keeps the target as the spec says; report: kspec writes nothing to the target. */
export type Remediation = 'auto' | 'report';
export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type Phase = 'Pending' | 'Active' | 'Failed';
export type DriftType = 'missing' | 'modified' | 'extra';
export type WriteBackMode = 'none' | 'commit' | 'pull-request';
export type ComplianceSource = 'auto' | 'policyReports' | 'engine';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
  uid?: string;
}

export interface Check {
  id: string;
  title?: string;
  kyvernoPolicy: string;
}

export interface PolicyDefinition {
  id: string;
  title: string;
  description?: string;
  severity: Severity;
  checks: Check[];
}

export interface ClusterSpecificationSpec {
  targetClusterRef: { name: string };
  enforcementMode: EnforcementMode;
  policies: PolicyDefinition[];
  /** Optional extension: whether kspec changes the target (auto, the default) or only reports (report). */
  remediation?: Remediation;
  /** Optional extension: overrides the installation's --write-back for this spec. */
  writeBack?: WriteBackMode;
  /** Optional extension: where compliance results come from. */
  complianceSource?: ComplianceSource;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ClusterSpecificationStatus {
  phase: Phase;
  observedGeneration?: number;
  conditions?: Condition[];
  /** Optional extension: the Git commit the last good desired state came from. */
  sourceCommit?: string;
  lastReconcileTime?: string;
}

export interface ClusterSpecification {
  apiVersion: typeof API_VERSION;
  kind: 'ClusterSpecification';
  metadata: ObjectMeta;
  spec: ClusterSpecificationSpec;
  status?: ClusterSpecificationStatus;
}

export interface ClusterTargetSpec {
  inCluster?: boolean;
  kubeconfig?: { secretRef: { name: string; key?: string } };
  platform?: string;
  version: string;
}

export interface ClusterTarget {
  apiVersion: typeof API_VERSION;
  kind: 'ClusterTarget';
  metadata: ObjectMeta;
  spec: ClusterTargetSpec;
  status?: ClusterTargetStatus;
}

export interface ClusterTargetStatus {
  conditions?: Condition[];
  serverVersion?: string;
}

export interface ReportRefs {
  clusterRef: { name: string };
  specRef: { name: string };
  timestamp: string;
  /** Optional extension: the Git commit the desired state came from. */
  sourceCommit?: string;
}

export interface Violation {
  namespace?: string;
  resource: string;
  message: string;
}

export interface PolicyResult {
  policyID: string;
  status: 'compliant' | 'violation';
  severity?: Severity;
  violations: Violation[];
  /** The true number of violations; `violations` holds at most a bounded number. */
  violationTotal?: number;
}

export interface Finding {
  type: string;
  message: string;
}

export interface ComplianceReportStatus {
  totalPolicies: number;
  compliantPolicies: number;
  violationCount: number;
  complianceScore: number;
  /** Optional extension: severity-weighted score (critical 10, high 5, medium 2, low 1). */
  weightedScore?: number;
  /** Optional extension: where the results came from. */
  source?: string;
  policyResults: PolicyResult[];
  /** Optional extension: cluster-level findings, such as a Kubernetes version mismatch. */
  findings?: Finding[];
  /** Optional extension: live resources the policies were checked against in this pass. */
  resourcesChecked?: number;
  /**
   * Optional extension: since when every policy has had no violation (the first clean pass of the
   * current clean run, with the same policies); absent while any policy has a violation.
   */
  cleanSince?: string;
}

export interface ComplianceReport {
  apiVersion: typeof API_VERSION;
  kind: 'ComplianceReport';
  metadata: ObjectMeta;
  spec: ReportRefs;
  status?: ComplianceReportStatus;
}

export interface FieldChange {
  path: string;
  /** JSON text of the value; absent when the field is absent on that side. */
  desired?: string;
  live?: string;
}

export interface DriftEvent {
  type: DriftType;
  policyID: string;
  checkID?: string;
  resourceName: string;
  /** Optional extension: ClusterPolicy or Policy, and its namespace for a Policy. */
  resourceKind?: string;
  resourceNamespace?: string;
  message: string;
  detectedAt: string;
  fields?: FieldChange[];
  diff?: string;
  /** Optional extension: what kspec did about it in this pass. */
  action?: DriftAction;
}

export type DriftAction = 'created' | 'applied' | 'deleted' | 'none' | 'failed' | 'dry-run';

export interface DriftReportStatus {
  driftDetected: boolean;
  /** Optional extension: drift found in the pass, by type (also when driftEvents is trimmed). */
  missing?: number;
  modified?: number;
  extra?: number;
  /** Optional extension: policies that still differ from the spec after kspec acted. */
  remaining?: number;
  driftEvents: DriftEvent[];
}

export interface DriftReport {
  apiVersion: typeof API_VERSION;
  kind: 'DriftReport';
  metadata: ObjectMeta;
  spec: ReportRefs;
  status?: DriftReportStatus;
}
