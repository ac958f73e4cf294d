// What `kspec version` reports: kspec's own version and commit, the runtime, and the versions of
// the libraries it runs on, all read from files (package.json, .git) without loading any of them:
// asking for the version must not pull in the Kubernetes client.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export interface VersionInfo {
  kspec: { version: string; commit: string };
  node: string;
  platform: string;
  /** Each runtime dependency in package.json, at the version installed ("missing" when not). */
  libraries: Record<string, string>;
}

/** kspec's package root: the folder holding package.json, above src/. */
export const PACKAGE_ROOT = join(import.meta.dirname, '..');

export function versionInfo(root: string = PACKAGE_ROOT): VersionInfo {
  const pkg = readJson(join(root, 'package.json')) as { version?: string; dependencies?: Record<string, string> };
  const libraries: Record<string, string> = {};
  for (const name of Object.keys(pkg.dependencies ?? {}).sort()) libraries[name] = installedVersion(root, name) ?? 'missing';
  return {
    kspec: { version: pkg.version ?? 'unknown', commit: gitCommit(root) ?? packedCommit(root) ?? 'unknown' },
    node: process.versions.node,
    platform: `${process.platform}/${process.arch}`,
    libraries,
  };
}

/** The version in node_modules/NAME/package.json, looked for as Node resolves: here, then each folder up. */
function installedVersion(root: string, name: string): string | undefined {
  for (let dir = root; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return (readJson(file) as { version?: string }).version;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The commit checked out at `root`, read from .git as git would: HEAD, then the ref it names,
 * loose or in packed-refs. A linked worktree's .git is a file naming its own git folder, which
 * holds HEAD, and a `commondir` where the refs are. Undefined when `root` is no checkout (an
 * installed package) or the ref cannot be read.
 */
export function gitCommit(root: string): string | undefined {
  try {
    const dotGit = join(root, '.git');
    if (!existsSync(dotGit)) return undefined;
    const gitDir = statSync(dotGit).isDirectory() ? dotGit : resolveFrom(root, /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]);
    if (!gitDir) return undefined;
    const common = existsSync(join(gitDir, 'commondir')) ? resolveFrom(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim())! : gitDir;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
    if (!ref) return isCommit(head) ? head : undefined;
    for (const dir of [gitDir, common]) {
      const file = join(dir, ref);
      if (existsSync(file)) {
        const sha = readFileSync(file, 'utf8').trim();
        if (isCommit(sha)) return sha;
      }
    }
    const packed = join(common, 'packed-refs');
    if (!existsSync(packed)) return undefined;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && isCommit(sha)) return sha;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** The commit a packed package was built from: `npm pack` records it in dist/commit (prepack). */
function packedCommit(root: string): string | undefined {
  const file = join(root, 'dist', 'commit');
  const sha = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  return isCommit(sha) ? sha : undefined;
}

const isCommit = (text: string) => /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text);

function resolveFrom(base: string, path: string | undefined): string | undefined {
  if (!path) return undefined;
  return isAbsolute(path.trim()) ? path.trim() : resolve(base, path.trim());
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}
