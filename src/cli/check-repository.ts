// What `validate` and `render` share: read a repository as the pass would (the working tree of
// a local folder, a commit with --ref, a clone in the cache for a URL), load it and render every
// spec through the same path as the pass, so neither command can disagree with it.
import { fetchSnapshot } from '../source/git-source.ts';
import type { Snapshot } from '../source/git-source.ts';
import { loadSpecs } from '../spec/load.ts';
import type { LoadResult } from '../spec/load.ts';
import type { SpecError } from '../spec/errors.ts';
import { formatSnippet, formatSpecError } from '../spec/errors.ts';
import { renderSpecs } from '../render/render.ts';
import type { RenderResult } from '../render/render.ts';
import type { LoadedSpec } from '../spec/load.ts';
import type { FlagSpec } from './command.ts';
import { cacheDirFlag, inputLimits, limitFlags, renderFlags, renderRules, sourceOptions } from './common-flags.ts';
import { terminalSafeCell } from '../util/terminal-text.ts';

export const repositoryFlags = {
  ref: { type: 'string', value: 'REF', description: 'Read this commit, branch or tag of the enclosing Git repository instead of the files on disk' },
  'cache-dir': cacheDirFlag(),
  ...limitFlags,
  ...renderFlags,
} satisfies Record<string, FlagSpec>;

type RepositoryFlagValues = { [K in keyof typeof repositoryFlags]?: string };

export interface CheckedRepository {
  snapshot: Snapshot;
  load: LoadResult;
  rendered: Map<string, RenderResult & { loaded: LoadedSpec }>;
  /** Every error: files, documents and checks, in file order. */
  errors: SpecError[];
}

export async function checkRepository(repo: string, flags: RepositoryFlagValues, env: NodeJS.ProcessEnv): Promise<CheckedRepository> {
  const limits = inputLimits(flags);
  const source = sourceOptions({ ...flags, repo, branch: flags.ref }, env);
  const snapshot = await fetchSnapshot({ ...source, workingTree: true });
  const load = loadSpecs(snapshot.files, { readErrors: snapshot.errors, limits });
  const rendered = renderSpecs(load.specs, snapshot.commit, renderRules(flags));
  const errors = [...load.errors, ...[...rendered.values()].flatMap((r) => r.errors)];
  errors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { snapshot, load, rendered, errors };
}

/**
 * An error as one terminal line, file:line: field: message, then for invalid YAML the file's line
 * with a caret under the column; control characters escaped.
 */
export function errorLine(error: SpecError): string {
  const snippet = error.snippet === undefined ? '' : formatSnippet({ ...error, snippet: terminalSafeCell(error.snippet) });
  return `${terminalSafeCell(formatSpecError(error))}\n${snippet}`;
}
