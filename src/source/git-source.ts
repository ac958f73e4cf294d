import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { parseRepo } from './repo-url.ts';
import { redactString, registerBasicAuth } from '../redact.ts';

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
}

/** The spec files of one commit. */
export interface Snapshot {
  /** Commit SHA, or `working-tree` for a local folder that is not a Git repository. */
  commit: string;
  repo: string;
  ref: string;
  /** YAML files under `path`, keyed by their path relative to the repository root. */
  files: Map<string, string>;
}

export class SourceError extends Error {}

const YAML_FILE = /\.ya?ml$/i;

/** Fetches the repository (incrementally, through the cache) and reads its YAML at the commit. */
export async function fetchSnapshot(options: SourceOptions): Promise<Snapshot> {
  const location = parseRepo(options.repo);
  // Every message that leaves kspec passes the logger's redaction, which then knows these too.
  registerBasicAuth(location.username ?? options.username ?? 'x-access-token', location.password ?? options.token);
  registerBasicAuth(options.username ?? 'x-access-token', options.token);
  const subPath = normalizeSubPath(options.path);
  if (location.kind === 'local') {
    const dir = resolve(location.location);
    const gitdir = findGitDir(dir);
    if (!gitdir) return readWorkingTree(dir, subPath, options.repo);
    const ref = options.ref ?? (await git.currentBranch({ fs, dir, gitdir })) ?? 'HEAD';
    const commit = await resolveCommit(dir, gitdir, [ref, `refs/heads/${ref}`, `refs/tags/${ref}`]);
    return { commit, repo: dir, ref, files: await readTree(dir, gitdir, commit, subPath) };
  }
  const dir = join(options.cacheDir, 'repos', createHash('sha256').update(location.location).digest('hex').slice(0, 24));
  const onAuth = () => ({ username: location.username ?? options.username ?? 'x-access-token', password: location.password ?? options.token ?? '' });
  const hasAuth = Boolean(location.password ?? options.token);
  const common = { fs, http, dir, url: location.location, ...(hasAuth ? { onAuth } : {}), onAuthFailure: () => ({ cancel: true }) };
  try {
    if (!fs.existsSync(join(dir, '.git'))) {
      fs.mkdirSync(dir, { recursive: true });
      await git.init({ fs, dir });
      await git.addRemote({ fs, dir, remote: 'origin', url: location.location, force: true });
    }
    const result = await git.fetch({ ...common, remote: 'origin', ...(options.ref ? { ref: options.ref } : {}), singleBranch: true, tags: false, depth: 1, relative: false, prune: false });
    const ref = options.ref ?? result.defaultBranch?.replace('refs/heads/', '') ?? 'main';
    const commit = result.fetchHead ?? (await resolveCommit(dir, join(dir, '.git'), [`refs/remotes/origin/${ref}`, `refs/tags/${ref}`]));
    return { commit, repo: location.location, ref, files: await readTree(dir, join(dir, '.git'), commit, subPath) };
  } catch (err) {
    throw new SourceError(`cannot fetch ${location.location}${options.ref ? ` (${options.ref})` : ''}: ${redactString((err as Error).message)}`);
  }
}

function normalizeSubPath(path: string | undefined): string {
  return (path ?? '').replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

function findGitDir(dir: string): string | undefined {
  if (fs.existsSync(join(dir, '.git'))) return join(dir, '.git');
  if (fs.existsSync(join(dir, 'HEAD')) && fs.existsSync(join(dir, 'objects'))) return dir; // bare
  return undefined;
}

async function resolveCommit(dir: string, gitdir: string, candidates: string[]): Promise<string> {
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

async function readTree(dir: string, gitdir: string, commit: string, subPath: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
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
        const content = await entry.content();
        if (content) files.set(filepath, Buffer.from(content).toString('utf8'));
      }
      return true;
    },
  });
  if (subPath && files.size === 0 && !(await pathExists(dir, gitdir, commit, subPath))) {
    throw new SourceError(`path ${subPath} does not exist at commit ${commit.slice(0, 12)}`);
  }
  return files;
}

async function pathExists(dir: string, gitdir: string, commit: string, path: string): Promise<boolean> {
  try {
    await git.readTree({ fs, dir, gitdir, oid: commit, filepath: path });
    return true;
  } catch {
    return false;
  }
}

function readWorkingTree(dir: string, subPath: string, repo: string): Snapshot {
  const root = join(dir, subPath);
  if (!fs.existsSync(root)) throw new SourceError(`${root} does not exist`);
  const files = new Map<string, string>();
  const stat = fs.statSync(root);
  const paths = stat.isDirectory()
    ? (fs.readdirSync(root, { recursive: true, encoding: 'utf8' }) as string[]).map((p) => join(root, p))
    : [root];
  for (const path of paths.sort()) {
    if (YAML_FILE.test(path) && !path.split('/').includes('node_modules') && fs.statSync(path).isFile()) {
      files.set(relative(dir, path) || path, fs.readFileSync(path, 'utf8'));
    }
  }
  return { commit: 'working-tree', repo, ref: 'working-tree', files };
}
