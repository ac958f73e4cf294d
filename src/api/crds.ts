import { GROUP, VERSION } from './types.ts';
import * as schemas from './schemas.ts';
import type { Schema } from './schemas.ts';

interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced';
  spec: Schema;
  status: Schema;
  columns: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
}

const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const KINDS: KindDefinition[] = [
  {
    kind: 'ClusterSpecification',
    plural: 'clusterspecifications',
    singular: 'clusterspecification',
    shortNames: ['cspec', 'kspec'],
    scope: 'Namespaced',
    spec: schemas.clusterSpecificationSpec,
    status: schemas.clusterSpecificationStatus,
    columns: [
      { name: 'Target', type: 'string', jsonPath: '.spec.targetClusterRef.name' },
      { name: 'Mode', type: 'string', jsonPath: '.spec.enforcementMode' },
      { name: 'Remediation', type: 'string', jsonPath: '.spec.remediation', description: 'auto when empty', priority: 1 },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'The last pass completed every stage' },
      { name: 'Synced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Synced")].status', description: 'The cluster matches the spec now' },
      { name: 'Drifted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Drifted")].status', description: 'The last pass found drift' },
      { name: 'Commit', type: 'string', jsonPath: '.status.sourceCommit', description: 'Source commit' },
      age,
    ],
  },
  {
    kind: 'ClusterTarget',
    plural: 'clustertargets',
    singular: 'clustertarget',
    shortNames: ['ctarget'],
    scope: 'Namespaced',
    spec: schemas.clusterTargetSpec,
    status: schemas.clusterTargetStatus,
    columns: [
      { name: 'Platform', type: 'string', jsonPath: '.spec.platform' },
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'InCluster', type: 'boolean', jsonPath: '.spec.inCluster' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      age,
    ],
  },
  {
    kind: 'ComplianceReport',
    plural: 'compliancereports',
    singular: 'compliancereport',
    shortNames: ['creport'],
    scope: 'Namespaced',
    spec: schemas.complianceReportSpec,
    status: schemas.complianceReportStatus,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
      { name: 'Spec', type: 'string', jsonPath: '.spec.specRef.name' },
      { name: 'Score', type: 'number', jsonPath: '.status.complianceScore' },
      { name: 'Violations', type: 'integer', jsonPath: '.status.violationCount' },
      { name: 'Source', type: 'string', jsonPath: '.status.source' },
      { name: 'Clean-Since', type: 'date', jsonPath: '.status.cleanSince', description: 'How long every policy has had no violation (empty while one has)', priority: 1 },
      age,
    ],
  },
  {
    kind: 'DriftReport',
    plural: 'driftreports',
    singular: 'driftreport',
    shortNames: ['dreport'],
    scope: 'Namespaced',
    spec: schemas.driftReportSpec,
    status: schemas.driftReportStatus,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef.name' },
      { name: 'Spec', type: 'string', jsonPath: '.spec.specRef.name' },
      { name: 'Drift', type: 'boolean', jsonPath: '.status.driftDetected', description: 'The last pass found drift' },
      { name: 'Missing', type: 'integer', jsonPath: '.status.missing', description: 'Found missing' },
      { name: 'Modified', type: 'integer', jsonPath: '.status.modified', description: 'Found modified' },
      { name: 'Extra', type: 'integer', jsonPath: '.status.extra', description: 'Found extra' },
      { name: 'Remaining', type: 'integer', jsonPath: '.status.remaining', description: 'Still differing after kspec acted' },
      age,
    ],
  },
];

/** The CustomResourceDefinition of one kind, as deploy/crds holds it. */
export function customResourceDefinition(def: KindDefinition): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'kspec', 'app.kubernetes.io/part-of': 'kspec' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['kspec'],
      },
      scope: def.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `${def.kind} of kspec.io.`,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: def.spec,
                status: def.status,
              },
              required: ['spec'],
            },
          },
        },
      ],
    },
  };
}
