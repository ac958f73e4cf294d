import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { clusterSpecificationSpec, clusterTargetSpec } from '../api/schemas.ts';
import type { Schema } from '../api/schemas.ts';
import { closestWord } from './closest-word.ts';
import { ANNOTATIONS, DNS_LABEL, LABELS } from './kubernetes-names.ts';

/** One schema violation: where (keys and indexes from the document root) and what. */
export interface SchemaProblem {
  path: (string | number)[];
  message: string;
}


// Unknown fields are errors: a misspelled field would otherwise be dropped without a word. The
// CRDs cannot say so themselves (a structural schema has no additionalProperties next to
// properties), so the loader's schemas close every object that lists its properties.
const documentSchema = (spec: Schema): Schema =>
  closed({
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string', const: 'kspec.io/v1alpha1' },
      kind: { type: 'string' },
      metadata: {
        type: 'object',
        required: ['name'],
        properties: { name: DNS_LABEL, namespace: DNS_LABEL, labels: LABELS, annotations: ANNOTATIONS },
      },
      spec,
      // Written by the API server, not by people; a document copied from a cluster may carry it.
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  });

/** The schema with `additionalProperties: false` on every object that lists its properties. */
export function closed(schema: Schema): Schema {
  if (Array.isArray(schema)) return schema.map((s) => closed(s as Schema)) as unknown as Schema;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    // `properties` maps field names to schemas: its keys are names, not schema keywords.
    out[key] = key === 'properties' && value && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).map(([name, s]) => [name, closed(s as Schema)]))
      : typeof value === 'object' && value !== null ? closed(value as Schema) : value;
  }
  const open = out['x-kubernetes-preserve-unknown-fields'] === true || 'additionalProperties' in out;
  if (out.properties && !open) out.additionalProperties = false;
  return out;
}

// The CRD schemas carry Kubernetes extensions (x-kubernetes-*) and formats such as int64 that
// Ajv does not know; they do not change what a valid document is, so Ajv ignores them. The
// schemas are kspec's own and the CRDs it ships, not input: checking them against the JSON
// Schema meta-schema at every start cost 20 ms and could only ever fail in development.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, verbose: true, validateSchema: false });
const validators: Record<string, (value: unknown) => SchemaProblem[]> = {
  ClusterSpecification: compileSchema(documentSchema(clusterSpecificationSpec)),
  ClusterTarget: compileSchema(documentSchema(clusterTargetSpec)),
};

/** Validates a ClusterSpecification or ClusterTarget document against the CRD schema. */
export function validateDocument(kind: 'ClusterSpecification' | 'ClusterTarget', value: unknown): SchemaProblem[] {
  return validators[kind](value);
}

/** A validator for a JSON Schema that answers with problems at paths, in words for people. */
export function compileSchema(schema: Schema): (value: unknown) => SchemaProblem[] {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => (validate(value) ? [] : dedupe((validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames').map(toProblem)));
}

function toProblem(error: ErrorObject): SchemaProblem {
  const instancePath = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  // A key that breaks `propertyNames` is reported at the key itself.
  const path = error.propertyName !== undefined ? [...instancePath, error.propertyName] : instancePath;
  const message = (error.parentSchema as Schema | undefined)?.['x-kspec-message'];
  if (typeof message === 'string' && ['pattern', 'maxLength', 'minLength'].includes(error.keyword)) return { path, message };
  switch (error.keyword) {
    case 'pattern':
      return { path, message: error.params.pattern === DNS_LABEL.pattern ? String(DNS_LABEL['x-kspec-message']) : `must match ${error.params.pattern}` };
    case 'required':
      return { path: [...path, error.params.missingProperty], message: 'required field is missing' };
    case 'additionalProperties':
      return { path: [...path, error.params.additionalProperty], message: unknownField(error) };
    case 'enum':
      return { path, message: `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(error.params.allowedValue)}` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

function unknownField(error: ErrorObject): string {
  const known = Object.keys((error.parentSchema?.properties ?? {}) as object);
  const guess = closestWord(String(error.params.additionalProperty), known);
  return `unknown field${guess ? ` (did you mean ${guess}?)` : `; known fields: ${known.join(', ')}`}`;
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
