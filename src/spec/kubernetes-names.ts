import type { Schema } from '../api/schemas.ts';

// Kubernetes' own rules for names, labels and annotations, as JSON Schemas, so that kspec rejects
// in Git what the API server would reject at apply time. `x-kspec-message` is what a violation
// says; Ajv passes it through untouched.

const LABEL_PART = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';

/** RFC 1123 label: a namespace, or the name of most kspec objects. */
export const DNS_LABEL: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: `^${LABEL_PART}$`,
  'x-kspec-message': 'must be a lowercase DNS label (a-z, 0-9 and -, starting and ending alphanumeric, at most 63 characters)',
};

/** RFC 1123 subdomain: the name of a custom resource such as a Kyverno policy. */
export const DNS_SUBDOMAIN: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 253,
  pattern: `^${LABEL_PART}(\\.${LABEL_PART})*$`,
  'x-kspec-message': 'must be a lowercase DNS subdomain (dot-separated DNS labels, at most 253 characters)',
};

const KEY_PATTERN = `^(${LABEL_PART}(\\.${LABEL_PART})*/)?${QUALIFIED_NAME}$`;
const KEY_MESSAGE = 'is not a valid key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters (alphanumeric, -, _ and .)';

/** metadata.labels: string values of at most 63 characters, keys qualified names. */
export const LABELS: Schema = {
  type: 'object',
  propertyNames: { type: 'string', maxLength: 317, pattern: KEY_PATTERN, 'x-kspec-message': KEY_MESSAGE },
  additionalProperties: {
    type: 'string',
    maxLength: 63,
    pattern: `^(${QUALIFIED_NAME})?$`,
    'x-kspec-message': 'must be a label value: empty, or at most 63 characters (alphanumeric, -, _ and .) starting and ending alphanumeric',
  },
};

/** metadata.annotations: string values, keys qualified names. */
export const ANNOTATIONS: Schema = {
  type: 'object',
  propertyNames: { type: 'string', maxLength: 317, pattern: KEY_PATTERN, 'x-kspec-message': KEY_MESSAGE },
  additionalProperties: { type: 'string' },
};
