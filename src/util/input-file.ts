// Reading the files a user (or a test file) names: `scan`'s manifests and policies, `test`'s
// policies, resources and values. Only regular files are read: a FIFO would block the read
// forever and /dev/zero would never end, so anything else is refused before a byte is read.
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** The path exists but is a FIFO, socket, device or other non-regular file. */
export class NotRegularFileError extends Error {
  readonly path: string;
  constructor(path: string, what: string) {
    super(`${path}: not a regular file (${what})`);
    this.path = path;
  }
}

/** A path a test file names that leads outside the folder under test. */
export class OutsideRootError extends Error {}

type StatLike = { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean };

/** What a non-regular file is, in words for a note. */
export function fileTypeName(st: StatLike): string {
  if (st.isFIFO()) return 'named pipe';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isDirectory()) return 'directory';
  return 'special file';
}

/**
 * Reads a regular file as UTF-8. The file is opened non-blocking and checked on the open
 * descriptor, so a FIFO swapped in after a directory listing cannot hang the read either.
 */
export async function readRegularFile(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    // Opening a Unix socket fails with ENXIO: say what it is rather than the errno.
    if (err.code === 'ENXIO') throw new NotRegularFileError(path, 'socket');
    if (err.code === 'ENOENT') throw new Error(`${path}: no such file`);
    throw err;
  });
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotRegularFileError(path, fileTypeName(st));
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** `regular`, `directory`, `missing` or the name of the special file type. */
export async function pathKind(path: string): Promise<'regular' | 'directory' | 'missing' | string> {
  const st = await stat(path).catch(() => null);
  if (!st) return 'missing';
  if (st.isFile()) return 'regular';
  if (st.isDirectory()) return 'directory';
  return fileTypeName(st);
}

/**
 * Resolves `ref` (as written in a file in `base`) and checks it stays under `root`: no absolute
 * path, no `..` out of it, and no symbolic link whose target lies outside. `root` must be a real
 * path (see realpath). Throws OutsideRootError without reading the target.
 */
export async function resolveInside(root: string, base: string, ref: string): Promise<string> {
  const refuse = (why: string) => new OutsideRootError(`${why}; kspec test reads only files under ${root} (--allow-outside lifts this)`);
  if (isAbsolute(ref)) throw refuse('absolute paths are not read');
  const target = resolve(base, ref);
  if (!isUnder(root, target)) throw refuse('the path leads outside the folder under test');
  const real = await realpath(target).catch(() => target);
  if (!isUnder(root, real)) throw refuse('a symbolic link leads outside the folder under test');
  return target;
}

function isUnder(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
