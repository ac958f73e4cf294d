import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Schema } from '../api/schemas.ts';
import { closed, compileSchema } from '../spec/validate.ts';
import type { SchemaProblem } from '../spec/validate.ts';
import { ANNOTATIONS, DNS_LABEL, DNS_SUBDOMAIN, LABELS } from '../spec/kubernetes-names.ts';
import type { PolicyKind } from './desired-policy.ts';

/**
 * Kyverno policies are checked against Kyverno's own CRD schemas (deploy/kyverno-crds), as the
 * API server would check them at apply time, plus what the API server checks of every object's
 * metadata. Unknown fields are errors too: the API server would drop them without a word, and
 * the policy would then never match what Git says.
 */
const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'kyverno-crds');

const metadata = (kind: PolicyKind): Schema => ({
  type: 'object',
  required: ['name'],
  properties: {
    name: DNS_SUBDOMAIN,
    ...(kind === 'Policy' ? { namespace: DNS_LABEL } : { namespace: {} }),
    labels: LABELS,
    annotations: ANNOTATIONS,
  },
  additionalProperties: false,
});

function policySchema(file: string, kind: PolicyKind): Schema {
  const crd = parse(readFileSync(join(CRD_DIR, file), 'utf8')) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
  const version = crd.spec.versions.find((v) => v.name === 'v1');
  if (!version) throw new Error(`${file} has no v1 version`);
  const schema = closed(version.schema.openAPIV3Schema);
  return { ...schema, required: ['apiVersion', 'kind', 'metadata', 'spec'], properties: { ...(schema.properties as Record<string, Schema>), metadata: metadata(kind) } };
}

const CRD_FILES: Record<PolicyKind, string> = { ClusterPolicy: 'kyverno.io_clusterpolicies.yaml', Policy: 'kyverno.io_policies.yaml', ValidatingPolicy: 'policies.kyverno.io_validatingpolicies.yaml' };
// Compiled on first use: a command that renders no Policy never pays for its schema.
const validators = new Map<PolicyKind, (value: unknown) => SchemaProblem[]>();

export function validateKyvernoPolicy(kind: PolicyKind, value: unknown): SchemaProblem[] {
  let validate = validators.get(kind);
  if (!validate) {
    validate = compileSchema(policySchema(CRD_FILES[kind], kind));
    validators.set(kind, validate);
  }
  return validate(value);
}
