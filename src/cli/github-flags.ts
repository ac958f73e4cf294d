import type { FlagSpec } from './command.ts';
import { UsageError } from './command.ts';
import type { GitHub } from '../writeback/index.ts';
import { registerSecret } from '../log.ts';
import type { Logger } from '../log.ts';

export const githubFlags = {
  'github-repository': { type: 'string', value: 'OWNER/NAME', description: 'GitHub repository of pull requests and comments (default: $GITHUB_REPOSITORY)' },
  'github-api-url': { type: 'string', value: 'URL', description: 'GitHub API, for GitHub Enterprise (default: $GITHUB_API_URL, then https://api.github.com)' },
} satisfies Record<string, FlagSpec>;

/**
 * A GitHub client from flags and the environment: a token (KSPEC_GITHUB_TOKEN or GITHUB_TOKEN)
 * or a GitHub App installation (KSPEC_GITHUB_APP_ID, KSPEC_GITHUB_APP_PRIVATE_KEY,
 * KSPEC_GITHUB_APP_INSTALLATION_ID). The repository defaults to GITHUB_REPOSITORY and the API to
 * GITHUB_API_URL, as GitHub Actions sets them; a GitHub Enterprise URL works the same way.
 */
export async function githubFromEnv(flags: { 'github-repository'?: string; 'github-api-url'?: string }, env: NodeJS.ProcessEnv, log?: Logger): Promise<GitHub> {
  const repository = flags['github-repository'] ?? env.GITHUB_REPOSITORY;
  const [owner, repo] = (repository ?? '').split('/');
  if (!owner || !repo) throw new UsageError('GitHub needs --github-repository OWNER/NAME (or GITHUB_REPOSITORY)');
  const token = env.KSPEC_GITHUB_TOKEN || env.GITHUB_TOKEN || undefined;
  const appId = env.KSPEC_GITHUB_APP_ID;
  const privateKey = env.KSPEC_GITHUB_APP_PRIVATE_KEY;
  const installationId = Number(env.KSPEC_GITHUB_APP_INSTALLATION_ID);
  registerSecret(token);
  registerSecret(privateKey);
  const baseUrl = flags['github-api-url'] ?? env.GITHUB_API_URL;
  // Loaded here, not at the top: help and completion read this file's flag table.
  const { createGitHub } = await import('../writeback/index.ts');
  if (appId && privateKey && installationId) {
    return createGitHub({ owner, repo, app: { appId, privateKey, installationId }, ...(baseUrl ? { baseUrl } : {}), ...(log ? { log } : {}) });
  }
  if (!token) throw new UsageError('GitHub needs KSPEC_GITHUB_TOKEN (or GITHUB_TOKEN), or a GitHub App (KSPEC_GITHUB_APP_ID, KSPEC_GITHUB_APP_PRIVATE_KEY, KSPEC_GITHUB_APP_INSTALLATION_ID)');
  return createGitHub({ owner, repo, token, ...(baseUrl ? { baseUrl } : {}), ...(log ? { log } : {}) });
}
