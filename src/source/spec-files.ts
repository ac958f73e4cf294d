import fs from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { SpecError } from '../spec/errors.ts';
import { decodeFileText } from '../spec/file-text.ts';
import { formatSize, LIMIT_FLAGS } from '../spec/limits.ts';
import type { InputLimits } from '../spec/limits.ts';

export const YAML_FILE = /\.ya?ml$/i;
/** Folders never read: Git's own data and installed packages. */
const SKIPPED_FOLDERS = new Set(['.git', 'node_modules']);

export class SourceError extends Error {}

/** The repository is larger than --max-repo-bytes. */
export class SourceLimitError extends SourceError {}

/**
 * The YAML files of a repository path, as text, and the files that could not be read, each
 * with its own error: one bad file never hides the others. Past the repository byte limit the
 * whole read fails (SourceError), which the pass treats like a failed fetch: nothing is pruned.
 */
export class SpecFiles {
  readonly files = new Map<string, string>();
  readonly errors: SpecError[] = [];
  private bytes = 0;
  private readonly limits: InputLimits;

  constructor(limits: InputLimits) {
    this.limits = limits;
  }

  /** Adds a file's content; `size` is checked before the content is read, when it is known. */
  add(file: string, read: () => Uint8Array, size?: number): void {
    if (size !== undefined && this.tooLarge(file, size)) return;
    const bytes = read();
    if (size === undefined && this.tooLarge(file, bytes.length)) return;
    this.bytes += bytes.length;
    if (this.bytes > this.limits.maxRepoBytes) {
      throw new SourceLimitError(`the YAML files read reach ${file} past ${formatSize(this.limits.maxRepoBytes)} in total (limit ${LIMIT_FLAGS.maxRepoBytes})`);
    }
    const decoded = decodeFileText(bytes);
    if ('error' in decoded) this.fail(file, `file ${decoded.error}`, decoded.line);
    else this.files.set(file, decoded.text);
  }

  fail(file: string, message: string, line = 1): void {
    this.errors.push({ file, document: 1, line, message });
  }

  private tooLarge(file: string, size: number): boolean {
    if (size <= this.limits.maxFileBytes) return false;
    this.fail(file, `file is ${size} bytes, more than ${formatSize(this.limits.maxFileBytes)} (limit ${LIMIT_FLAGS.maxFileBytes})`);
    return true;
  }
}

/**
 * Reads the YAML files on disk under `start`, inside `root` (both absolute). Symbolic links are
 * never followed out of `root`: a link whose target is outside, dangling or looping is an error
 * for that path; a link to a file inside is read under the link's name; a link to a folder
 * inside is not walked (its files are read where they are). FIFOs, sockets and devices are
 * errors, never opened, so a read can neither hang nor run out of memory.
 */
export function readFolder(root: string, start: string, limits: InputLimits): SpecFiles {
  if (!fs.existsSync(start)) throw new SourceError(`${start} does not exist`);
  const realRoot = fs.realpathSync(root);
  const out = new SpecFiles(limits);
  const name = (path: string) => relative(root, path) || path;
  const inside = (real: string) => real === realRoot || real.startsWith(realRoot + sep);
  // The starting point is checked like any link below it.
  const realStart = realpathOrUndefined(start);
  if (!realStart || !inside(realStart)) throw new SourceError(`${start} leads outside ${root}; kspec reads nothing outside the repository`);

  const visit = (path: string, stats: fs.Stats, explicit: boolean): void => {
    if (stats.isDirectory()) {
      for (const entry of fs.readdirSync(path).sort()) {
        if (SKIPPED_FOLDERS.has(entry)) continue;
        const child = join(path, entry);
        visit(child, fs.lstatSync(child), false);
      }
      return;
    }
    if (!explicit && !YAML_FILE.test(path)) return;
    if (stats.isSymbolicLink()) return followLink(path);
    if (!stats.isFile()) return out.fail(name(path), 'is not a regular file (a FIFO, socket or device); kspec reads only regular files');
    out.add(name(path), () => readBounded(path, limits.maxFileBytes), stats.size);
  };

  const followLink = (path: string): void => {
    let real: string;
    try {
      real = fs.realpathSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return out.fail(name(path), code === 'ELOOP' ? 'is a symbolic link loop' : 'is a dangling symbolic link (its target does not exist)');
    }
    if (!inside(real)) return out.fail(name(path), 'is a symbolic link to a path outside the repository; kspec never follows links out of the root');
    const target = fs.statSync(real);
    if (target.isDirectory()) return; // read at its real place, inside the root
    if (!target.isFile()) return out.fail(name(path), 'links to something that is not a regular file; kspec reads only regular files');
    out.add(name(path), () => readBounded(real, limits.maxFileBytes), target.size);
  };

  visit(start, fs.statSync(start), true);
  return out;
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return fs.realpathSync(path);
  } catch {
    return undefined;
  }
}

/** At most `limit + 1` bytes: a file that grows between stat and read still cannot exhaust memory. */
function readBounded(path: string, limit: number): Uint8Array {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) break;
    }
    return Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}
