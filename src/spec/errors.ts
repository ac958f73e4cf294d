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
  /** The file's line at `line`, as written: shown under YAML syntax errors, with a caret at `column`. */
  snippet?: string;
  /** Set for errors confined to one check: the rest of the spec still renders. */
  policyId?: string;
  checkId?: string;
}

export function formatSpecError(error: SpecError): string {
  // A problem of no file (the repository could not be fetched, the cluster could not be read).
  if (!error.file) return `${error.field ? `${error.field}: ` : ''}${error.message}`;
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

/** A 1-based line of a text, without its line break. */
export function lineOf(text: string, line: number): string {
  let start = 0;
  for (let n = 1; n < line; n++) {
    const next = text.indexOf('\n', start);
    if (next < 0) return '';
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? text.length : end).replace(/\r$/, '');
}

/** The snippet under an error: the line with its number, and a caret under the column. */
export function formatSnippet(error: SpecError): string {
  if (error.snippet === undefined) return '';
  const number = String(error.line);
  let out = `    ${number} | ${error.snippet}\n`;
  if (error.column) out += `    ${' '.repeat(number.length)} | ${' '.repeat(error.column - 1)}^\n`;
  return out;
}
