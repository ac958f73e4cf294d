import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import type IsomorphicGit from 'isomorphic-git';
import { parseRepo } from './repo-url.ts';
import { redactString, registerBasicAuth } from '../redact.ts';
import { DEFAULT_LIMITS } from '../spec/limits.ts';
import type { InputLimits } from '../spec/limits.ts';
import type { SpecError } from '../spec/errors.ts';
import { readFolder, SourceError, SourceLimitError, SpecFiles, YAML_FILE } from './spec-files.ts';

export { SourceError } from './spec-files.ts';

export interface SourceOptions {
  repo: string;
  /** Branch or tag; defaults to the remote's default branch (local: the checked-out one). */
  ref?: string;
  /** Sub-path of the repository holding the specs. */
  path?: string;
  /** Where remote clones are cached between passes. */
  cacheDir: string;
  /** Token for http(s) remotes, from the environment or a Secret, never from Git. */
  token?: string;
  username?: string;
  /**
   * Read the files on disk even when the folder is a Git repository (validate and render do,
   * so that a pre-commit check sees the edit being committed). Ignored for remote repositories.
   */
  workingTree?: boolean;
  limits?: InputLimits;
  /** How long a remote may stay silent before the fetch fails; default 30 s (GIT_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
}

/** The spec files of one commit. */
export interface Snapshot {
  /** Commit SHA, or `working-tree` for a local folder that is not a Git repository. */
  commit: string;
  repo: string;
  ref: string;
  /** YAML files under `path`, keyed by their path relative to the repository root. */
  files: Map<string, string>;
  /** Files under `path` that could not be read, each with its own error. */
  errors: SpecError[];
}

/**
 * Fetches the repository (incrementally, through the cache) and reads its YAML at the commit.
 * A remote that stays silent fails the fetch (see git-http.ts).
 */
export async function fetchSnapshot(options: SourceOptions): Promise<Snapshot> {
  const location = parseRepo(options.repo);
  // Every message that leaves kspec passes the logger's redaction, which then knows these too.
  registerBasicAuth(location.username ?? options.username ?? 'x-access-token', location.password ?? options.token);
  registerBasicAuth(options.username ?? 'x-access-token', options.token);
  const subPath = normalizeSubPath(options.path);
  const limits = options.limits ?? DEFAULT_LIMITS;
  if (location.kind === 'local') {
    const given = resolve(location.location);
    if (options.workingTree && !options.ref) return readWorkingTree(given, subPath, options.repo, limits);
    // A ref is read from the repository holding the folder, which may be a folder above it.
    const found = options.ref ? findEnclosingRepository(given) : repositoryAt(given);
    if (!found) {
      if (options.ref) throw new SourceError(`${given} is not in a Git repository, so it has no ref ${options.ref}`);
      return readWorkingTree(given, subPath, options.repo, limits);
    }
    const { dir, gitdir } = found;
    const git = await isomorphicGit();
    const inner = normalizeSubPath(join(relative(dir, given), subPath));
    const ref = options.ref ?? found.head ?? (await git.currentBranch({ fs, dir, gitdir })) ?? 'HEAD';
    const commit = await resolveCommit(dir, gitdir, [ref, `refs/heads/${ref}`, `refs/tags/${ref}`]).catch(async (err) => {
      if (!options.ref) throw err;
      throw new RefNotFoundError(options.ref, dir, await git.listBranches({ fs, dir, gitdir }).catch(() => []));
    });
    return { commit, repo: dir, ref, ...(await readTree(dir, gitdir, commit, inner, limits)) };
  }
  const [git, { gitHttp }] = await Promise.all([isomorphicGit(), import('./git-http.ts')]);
  const dir = join(options.cacheDir, 'repos', createHash('sha256').update(location.location).digest('hex').slice(0, 24));
  const onAuth = () => ({ username: location.username ?? options.username ?? 'x-access-token', password: location.password ?? options.token ?? '' });
  const hasAuth = Boolean(location.password ?? options.token);
  const common = { fs, http: gitHttp(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}), dir, url: location.location, ...(hasAuth ? { onAuth } : {}), onAuthFailure: () => ({ cancel: true }) };
  try {
    if (!fs.existsSync(join(dir, '.git'))) {
      fs.mkdirSync(dir, { recursive: true });
      await git.init({ fs, dir });
      await git.addRemote({ fs, dir, remote: 'origin', url: location.location, force: true });
    }
    const result = await git.fetch({ ...common, remote: 'origin', ...(options.ref ? { ref: options.ref } : {}), singleBranch: true, tags: false, depth: 1, relative: false, prune: false });
    const ref = options.ref ?? result.defaultBranch?.replace('refs/heads/', '') ?? 'main';
    // No head fetched: the remote has no refs at all. The clone's old remote ref must not stand
    // in for it, or a deleted branch would be served from the cache as if it still existed.
    if (!result.fetchHead) throw new RefNotFoundError(ref, location.location, []);
    const commit = result.fetchHead;
    return { commit, repo: location.location, ref, ...(await readTree(dir, join(dir, '.git'), commit, subPath, limits)) };
  } catch (err) {
    // Past a limit the message is kspec's own; anything else is the fetch failing.
    if (err instanceof SourceLimitError || err instanceof RefNotFoundError) throw err;
    if (options.ref && (err as { code?: string; data?: { what?: string } }).code === 'NotFoundError' && (err as { data?: { what?: string } }).data?.what === options.ref) {
      throw new RefNotFoundError(options.ref, location.location, await remoteBranches(common));
    }
    throw new SourceError(`cannot fetch ${location.location}${options.ref ? ` (${options.ref})` : ''}: ${redactString((err as Error).message)}`);
  }
}

/**
 * The branch or tag asked for is not in the repository: said plainly, with the branches that are
 * there, so that a typo in --branch is seen at once (never planned or rendered from a cache).
 */
export class RefNotFoundError extends SourceError {
  constructor(ref: string, repo: string, branches: string[]) {
    const shown = branches.slice(0, 10);
    const there = shown.length ? `; branches there: ${shown.join(', ')}${branches.length > shown.length ? `, and ${branches.length - shown.length} more` : ''}` : '';
    super(`branch or tag "${ref}" not found in ${redactString(repo)}${there}`);
  }
}

/** The remote's branch names, for the message of a missing ref; none when they cannot be listed. */
async function remoteBranches(connection: Pick<Parameters<typeof IsomorphicGit.listServerRefs>[0], 'http' | 'url' | 'onAuth' | 'onAuthFailure'>): Promise<string[]> {
  try {
    const git = await isomorphicGit();
    const refs = await git.listServerRefs({ ...connection, prefix: 'refs/heads/' });
    return refs.map((r) => r.ref.replace('refs/heads/', '')).sort();
  } catch {
    return [];
  }
}

function normalizeSubPath(path: string | undefined): string {
  const normalized = (path ?? '').replace(/^\.?\/+/, '').replace(/\/+$/, '');
  return normalized === '.' ? '' : normalized;
}

interface LocalRepository {
  dir: string;
  gitdir: string;
  /** The branch (or commit) checked out, when Git keeps it apart from `gitdir`: a linked worktree. */
  head?: string;
}

function repositoryAt(dir: string): LocalRepository | undefined {
  const dotGit = join(dir, '.git');
  if (fs.existsSync(dotGit)) return fs.statSync(dotGit).isFile() ? linkedRepository(dir, dotGit) : { dir, gitdir: dotGit };
  if (fs.existsSync(join(dir, 'HEAD')) && fs.existsSync(join(dir, 'objects'))) return { dir, gitdir: dir }; // bare
  return undefined;
}

/**
 * A `.git` file points at the repository's data elsewhere: a submodule's folder, or a linked
 * worktree's (`git worktree add`), whose branches and objects are in the main repository's folder
 * (named by its `commondir`) while its own HEAD says which branch is checked out there.
 */
function linkedRepository(dir: string, dotGitFile: string): LocalRepository | undefined {
  const pointer = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGitFile, 'utf8'));
  if (!pointer) return undefined;
  const own = resolve(dir, pointer[1].trim());
  const commondir = join(own, 'commondir');
  if (!fs.existsSync(commondir)) return { dir, gitdir: own };
  const head = fs.readFileSync(join(own, 'HEAD'), 'utf8').trim().replace(/^ref:\s*refs\/heads\//, '');
  return { dir, gitdir: resolve(own, fs.readFileSync(commondir, 'utf8').trim()), head };
}

function findEnclosingRepository(start: string): LocalRepository | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const found = repositoryAt(dir);
    if (found || dirname(dir) === dir) return found;
  }
}

async function resolveCommit(dir: string, gitdir: string, candidates: string[]): Promise<string> {
  const git = await isomorphicGit();
  for (const ref of candidates) {
    try {
      const oid = await git.resolveRef({ fs, dir, gitdir, ref });
      const { oid: commit } = await git.readCommit({ fs, dir, gitdir, oid }).catch(async () => {
        // an annotated tag points at a tag object
        const tag = await git.readTag({ fs, dir, gitdir, oid });
        return { oid: tag.tag.object };
      });
      return commit;
    } catch {
      // try the next spelling of the ref
    }
  }
  throw new SourceError(`ref ${candidates[0]} not found`);
}

async function readTree(dir: string, gitdir: string, commit: string, subPath: string, limits: InputLimits): Promise<{ files: Map<string, string>; errors: SpecError[] }> {
  const out = new SpecFiles(limits);
  const git = await isomorphicGit();
  await git.walk({
    fs,
    dir,
    gitdir,
    trees: [git.TREE({ ref: commit })],
    map: async (filepath, [entry]) => {
      if (!entry) return null;
      const inside = subPath === '' || filepath === subPath || filepath.startsWith(`${subPath}/`) || subPath.startsWith(`${filepath}/`) || filepath === '.';
      if (!inside) return null;
      if ((await entry.type()) === 'blob' && YAML_FILE.test(filepath) && (subPath === '' || filepath.startsWith(`${subPath}/`))) {
        // A link in a commit is a blob holding the target's path; it is never followed.
        if ((await entry.mode()) === 0o120000) out.fail(filepath, 'is a symbolic link; kspec does not follow links in a commit');
        else {
          const content = (await entry.content()) ?? new Uint8Array();
          out.add(filepath, () => content);
        }
      }
      return true;
    },
  });
  if (subPath && out.files.size === 0 && out.errors.length === 0 && !(await pathExists(dir, gitdir, commit, subPath))) {
    throw new SourceError(`path ${subPath} does not exist at commit ${commit.slice(0, 12)}`);
  }
  return { files: out.files, errors: out.errors };
}

async function pathExists(dir: string, gitdir: string, commit: string, path: string): Promise<boolean> {
  const git = await isomorphicGit();
  try {
    await git.readTree({ fs, dir, gitdir, oid: commit, filepath: path });
    return true;
  } catch {
    return false;
  }
}

/** isomorphic-git, loaded when a repository is read through Git: a plain folder is read without it. */
async function isomorphicGit(): Promise<typeof IsomorphicGit> {
  return (await import('isomorphic-git')).default;
}

/** The files on disk; `dir` is the root nothing is read outside of. */
function readWorkingTree(dir: string, subPath: string, repo: string, limits: InputLimits): Snapshot {
  const read = readFolder(dir, join(dir, subPath), limits);
  return { commit: 'working-tree', repo, ref: 'working-tree', files: read.files, errors: read.errors };
}
