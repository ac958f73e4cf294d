import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { clusterSpecificationSpec, clusterTargetSpec } from '../api/schemas.ts';
import type { Schema } from '../api/schemas.ts';

/** One schema violation: where (keys and indexes from the document root) and what. */
export interface SchemaProblem {
  path: (string | number)[];
  message: string;
}

const NAME = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };

const documentSchema = (spec: Schema): Schema => ({
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { type: 'string', const: 'kspec.io/v1alpha1' },
    kind: { type: 'string' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name: NAME, namespace: NAME, labels: { type: 'object' }, annotations: { type: 'object' } },
    },
    spec,
  },
});

// The CRD schemas carry Kubernetes extensions (x-kubernetes-*) and formats such as int64 that
// Ajv does not know; they do not change what a valid document is, so Ajv ignores them.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const validators: Record<string, ValidateFunction> = {
  ClusterSpecification: ajv.compile(documentSchema(clusterSpecificationSpec)),
  ClusterTarget: ajv.compile(documentSchema(clusterTargetSpec)),
};

/** Validates a ClusterSpecification or ClusterTarget document against the CRD schema. */
export function validateDocument(kind: 'ClusterSpecification' | 'ClusterTarget', value: unknown): SchemaProblem[] {
  const validate = validators[kind];
  if (validate(value)) return [];
  return dedupe((validate.errors ?? []).map(toProblem));
}

function toProblem(error: ErrorObject): SchemaProblem {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  switch (error.keyword) {
    case 'required':
      return { path: [...path, error.params.missingProperty], message: 'required field is missing' };
    case 'enum':
      return { path, message: `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(error.params.allowedValue)}` };
    case 'pattern':
      return { path, message: 'must be a lowercase DNS label (a-z, 0-9 and -, starting and ending alphanumeric)' };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = JSON.stringify(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
