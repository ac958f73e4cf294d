/** A problem in a file of the specs repository, pointing at file, document, line and field. */
export interface SpecError {
  file: string;
  /** 1-based document index within a multi-document file. */
  document: number;
  line: number;
  column?: number;
  /** Dotted field path, such as spec.policies[0].severity. */
  field?: string;
  message: string;
  /** The ClusterSpecification this error belongs to, when it could be told. */
  specName?: string;
  /** Its namespace (the default one when the document names none). */
  specNamespace?: string;
  /** Set for errors confined to one check: the rest of the spec still renders. */
  policyId?: string;
  checkId?: string;
}

export function formatSpecError(error: SpecError): string {
  // An object applied to the cluster has no file and no lines: only its name and the field.
  const where = error.line ? `${error.file}:${error.line}${error.column ? `:${error.column}` : ''}` : error.file;
  const doc = error.document > 1 ? ` (document ${error.document})` : '';
  const field = error.field ? ` ${error.field}:` : '';
  return `${where}${doc}:${field} ${error.message}`;
}

/** Renders a path of keys and indexes as `spec.policies[0].checks[1].id`. */
export function fieldPath(path: (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
