/**
 * OpenAPI v3 schemas of kspec's four kinds: the one source for deploy/crds (see crds.ts) and
 * for validating specs loaded from Git (see ../spec/validate.ts). Fields beyond the seed API
 * are optional, so every seed document stays valid.
 */

export type Schema = Record<string, unknown>;

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const int = (description: string): Schema => ({ type: 'integer', format: 'int64', description });
const num = (description: string): Schema => ({ type: 'number', description });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const obj = (description: string, properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required.length ? { required } : {}),
});
const arr = (description: string, items: Schema, extra: Schema = {}): Schema => ({ type: 'array', description, items, ...extra });

const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const nameRef = (description: string) => obj(description, { name: str('Name of the referenced object.', { minLength: 1 }) }, ['name']);

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export const MODES = ['monitor', 'enforce'] as const;
export const REMEDIATIONS = ['auto', 'report'] as const;
export const PHASES = ['Pending', 'Active', 'Failed'] as const;
export const DRIFT_TYPES = ['missing', 'modified', 'extra'] as const;

const condition = obj(
  'A Kubernetes-style condition.',
  {
    type: str('Condition type, such as Ready, Synced or Drifted.'),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    reason: str('Machine-readable reason in CamelCase.'),
    message: str('Human-readable detail.'),
    lastTransitionTime: str('When the status last changed.', { format: 'date-time' }),
    observedGeneration: int('The generation this condition was computed from.'),
  },
  ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
);

const check = obj(
  'One Kyverno check.',
  {
    id: str('Unique check identifier within its policy.', { minLength: 1, pattern: NAME_PATTERN, maxLength: 63 }),
    title: str('Human-readable title.'),
    kyvernoPolicy: str('Kyverno policy YAML: exactly one kyverno.io ClusterPolicy or Policy, or one policies.kyverno.io ValidatingPolicy.', { minLength: 1 }),
  },
  ['id', 'kyvernoPolicy'],
);

const policy = obj(
  'A policy: a titled group of checks with a severity.',
  {
    id: str('Unique policy identifier within the specification.', { minLength: 1, pattern: NAME_PATTERN, maxLength: 63 }),
    title: str('Human-readable title.', { minLength: 1 }),
    description: str('Detailed description.'),
    severity: str('Policy severity.', { enum: [...SEVERITIES] }),
    checks: arr('Validation checks.', check, { minItems: 1 }),
  },
  ['id', 'title', 'severity', 'checks'],
);

export const clusterSpecificationSpec = obj(
  'Desired security and compliance posture for a cluster.',
  {
    targetClusterRef: nameRef('Reference to the ClusterTarget this specification applies to.'),
    enforcementMode: str('The Kyverno failure action of every rendered policy: monitor installs them in Audit (violations are reported, never blocked), enforce in Enforce (violating requests are denied).', { enum: [...MODES] }),
    policies: arr('Policy definitions.', policy),
    remediation: str('auto (the default): kspec creates, reverts and prunes the policies in the target so they match the spec; report: kspec writes nothing to the target and only reports drift.', { enum: [...REMEDIATIONS] }),
    writeBack: str('Overrides the installation write-back mode for this specification.', {
      enum: ['none', 'commit', 'pull-request'],
    }),
    complianceSource: str('Where compliance results come from.', { enum: ['auto', 'policyReports', 'engine'] }),
  },
  ['targetClusterRef', 'enforcementMode', 'policies'],
);

export const clusterSpecificationStatus = obj('Observed state of the specification.', {
  phase: str('Current phase.', { enum: [...PHASES] }),
  observedGeneration: int('Latest generation observed.'),
  conditions: arr('Current state of the specification.', condition, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  }),
  sourceCommit: str('Git commit of the last good desired state.'),
  lastReconcileTime: str('When the last pass finished.', { format: 'date-time' }),
});

export const clusterTargetSpec = obj(
  'A Kubernetes cluster that policies are applied to.',
  {
    inCluster: bool('Whether this is the cluster kspec runs in.'),
    kubeconfig: obj('Kubeconfig of a remote cluster, read from a Secret in kspec\'s namespace.', {
      secretRef: obj(
        'Secret holding the kubeconfig.',
        {
          name: str('Secret name.', { minLength: 1 }),
          key: str('Key in the Secret; defaults to "kubeconfig".'),
        },
        ['name'],
      ),
    }, ['secretRef']),
    platform: str('Cloud platform: eks, gke, aks, kind, etc.'),
    version: str('Expected Kubernetes version.', { minLength: 1 }),
  },
  ['version'],
);

export const clusterTargetStatus = obj('Observed state of the target.', {
  conditions: arr('Current state of the target.', condition, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  }),
  serverVersion: str('Version reported by the cluster\'s /version endpoint.'),
});

const reportSpec = obj(
  'What the report is about.',
  {
    clusterRef: nameRef('Reference to the target cluster.'),
    specRef: nameRef('Reference to the ClusterSpecification.'),
    timestamp: str('When the report was generated.', { format: 'date-time' }),
    sourceCommit: str('Git commit of the desired state.'),
  },
  ['clusterRef', 'specRef', 'timestamp'],
);

const violation = obj(
  'One resource that violates a policy.',
  {
    namespace: str('Namespace of the resource, if namespaced.'),
    resource: str('Kind/name of the resource.'),
    message: str('Why it violates the policy.'),
  },
  ['resource', 'message'],
);

export const complianceReportSpec = reportSpec;
export const complianceReportStatus = obj('Compliance results.', {
  totalPolicies: int('Total number of policies.'),
  compliantPolicies: int('Number of compliant policies.'),
  violationCount: int('Total violations found.'),
  complianceScore: num('compliantPolicies / totalPolicies x 100.'),
  weightedScore: num('Severity-weighted compliance percentage.'),
  source: str('Where the results came from.'),
  resourcesChecked: int('Live resources the spec\'s policies applied to (matched and not excluded) in the last pass.'),
  cleanSince: str('Since when every policy has had no violation on this cluster: the first clean pass of the current clean run (restarted when the spec gains or loses a policy). Absent while any policy has a violation.', { format: 'date-time' }),
  findings: arr('Cluster-level findings, such as a Kubernetes version mismatch.', obj('One finding.', { type: str('Finding type, such as VersionMismatch.'), message: str('What was found.') }, ['type', 'message'])),
  policyResults: arr(
    'Detailed results per policy.',
    obj(
      'Result of one policy.',
      {
        policyID: str('Policy identifier.'),
        status: str('compliant or violation.', { enum: ['compliant', 'violation'] }),
        severity: str('Policy severity.', { enum: [...SEVERITIES] }),
        violations: arr('Violating resources, bounded in number.', violation),
        violationTotal: int('The true number of violations.'),
      },
      ['policyID', 'status'],
    ),
  ),
});

export const driftReportSpec = reportSpec;
export const driftReportStatus = obj('Drift between desired and live policies.', {
  driftDetected: bool('Whether the last pass found drift (before acting on it).'),
  missing: int('Policies the last pass found missing.'),
  modified: int('Policies the last pass found modified.'),
  extra: int('Policies the last pass found extra (carrying the spec\'s labels but not in the spec).'),
  remaining: int('Policies that still differ from the spec after kspec acted (0 once enforce mode has fixed everything).'),
  driftEvents: arr(
    'Drift found in the last pass, each with what kspec did about it.',
    obj(
      'One difference.',
      {
        type: str('missing, modified or extra.', { enum: [...DRIFT_TYPES] }),
        policyID: str('Policy identifier; absent for an extra policy that carries no kspec.io/policy label.'),
        checkID: str('Check identifier; absent when the policy carries no kspec.io/check label.'),
        resourceName: str('Name of the Kyverno policy.'),
        resourceKind: str('ClusterPolicy, Policy or ValidatingPolicy.'),
        resourceNamespace: str('Namespace of a namespaced Policy.'),
        message: str('What differs.'),
        detectedAt: str('When kspec first saw this drift; kept on every pass while it stands, new when drift that was fixed comes back.', { format: 'date-time' }),
        fields: arr(
          'Changed fields.',
          obj('One changed field.', {
            path: str('Field path.'),
            desired: str('Value in the specification, as JSON; absent when the field is not desired.'),
            live: str('Value in the cluster, as JSON; absent when the field is missing live.'),
          }, ['path']),
        ),
        diff: str('Unified diff of the compared part of the policy, from live (--- live/<name>) to desired (+++ desired/<name>): the lines marked + are what kspec applies, as kubectl diff reads.'),
        action: str('What kspec did about it in this pass.', { enum: ['created', 'applied', 'deleted', 'none', 'failed', 'dry-run'] }),
      },
      ['type', 'resourceName', 'message', 'detectedAt'],
    ),
  ),
});
