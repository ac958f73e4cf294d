import { resolve } from 'node:path';
import { CREDENTIAL_QUERY_PARAMS } from '../redact.ts';

/** A repository location as the user gave it, split so credentials never travel with the URL. */
export interface RepoLocation {
  kind: 'local' | 'http';
  /** Local folder, or URL without credentials: safe to print and to write to .git/config. */
  location: string;
  /** Credentials found in the URL itself, if any. */
  username?: string;
  password?: string;
}

/**
 * Splits credentials off a repository URL: `user:password@` and credential query parameters
 * (`?access_token=`, `?private_token=`, ...). A query token becomes the password, sent as HTTP
 * Basic auth as Git hosts accept it, so it is neither printed with the URL nor written to the
 * clone's .git/config.
 */
export function parseRepo(repo: string): RepoLocation {
  if (/^https?:\/\//i.test(repo)) {
    const url = new URL(repo);
    const username = url.username ? decodeURIComponent(url.username) : undefined;
    let password = url.password ? decodeURIComponent(url.password) : undefined;
    for (const key of [...url.searchParams.keys()]) {
      if (!CREDENTIAL_QUERY_PARAMS.test(key)) continue;
      password ??= url.searchParams.get(key) ?? undefined;
      url.searchParams.delete(key);
    }
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
