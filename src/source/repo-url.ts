import { resolve } from 'node:path';

/** A repository location as the user gave it, split so credentials never travel with the URL. */
export interface RepoLocation {
  kind: 'local' | 'http';
  /** Local folder, or URL without credentials: safe to print and to write to .git/config. */
  location: string;
  /** Credentials found in the URL itself, if any. */
  username?: string;
  password?: string;
}

export function parseRepo(repo: string): RepoLocation {
  if (/^https?:\/\//i.test(repo)) {
    const url = new URL(repo);
    const username = url.username ? decodeURIComponent(url.username) : undefined;
    const password = url.password ? decodeURIComponent(url.password) : undefined;
    url.username = '';
    url.password = '';
    return { kind: 'http', location: url.toString(), ...(username ? { username } : {}), ...(password ? { password } : {}) };
  }
  if (/^file:\/\//i.test(repo)) return { kind: 'local', location: decodeURIComponent(new URL(repo).pathname) };
  return { kind: 'local', location: repo };
}

/** The repository as it may appear in logs, reports and annotations: no credentials, absolute paths. */
export function displayRepo(repo: string): string {
  const location = parseRepo(repo);
  return location.kind === 'local' ? resolve(location.location) : location.location;
}
