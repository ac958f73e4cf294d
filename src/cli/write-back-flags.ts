import type { FlagSpec } from './command.ts';
import { oneOf, UsageError } from './command.ts';
import type { WriteBackMode } from '../api/types.ts';
import type { GitWriteBackConfig } from '../reconcile/git-write-back.ts';
import type { SourceOptions } from '../source/git-source.ts';
import type { Logger } from '../log.ts';
import { githubFlags, githubFromEnv } from './github-flags.ts';

export const writeBackFlags = {
  'write-back': { type: 'string', default: 'none' },
  'reports-branch': { type: 'string', default: 'kspec-reports' },
  'commit-author-name': { type: 'string', default: 'kspec' },
  'commit-author-email': { type: 'string', default: 'kspec@users.noreply.github.com' },
  'commit-message': { type: 'string' },
  adopt: { type: 'boolean' },
  ...githubFlags,
} satisfies Record<string, FlagSpec>;

type WriteBackFlagValues = {
  'write-back'?: string;
  'reports-branch'?: string;
  'commit-author-name'?: string;
  'commit-author-email'?: string;
  'commit-message'?: string;
  adopt: boolean;
  'github-repository'?: string;
  'github-api-url'?: string;
};

/**
 * Write-back settings; GitHub is only required when some spec may open pull requests. Without a
 * specs repository there is nowhere to write back to.
 */
export async function writeBackConfig(flags: WriteBackFlagValues, source: SourceOptions | undefined, env: NodeJS.ProcessEnv, log: Logger): Promise<GitWriteBackConfig | undefined> {
  const mode: WriteBackMode = oneOf('--write-back', flags['write-back'], ['none', 'commit', 'pull-request'] as const);
  if (!source) {
    if (mode !== 'none') throw new UsageError('--write-back needs --repo: reports are written back to the specs repository');
    return undefined;
  }
  const wantsGitHub = mode === 'pull-request' || Boolean(flags['github-repository'] ?? env.GITHUB_REPOSITORY);
  return {
    mode,
    repo: source.repo,
    baseBranch: source.ref ?? 'main',
    reportsBranch: flags['reports-branch']!,
    cacheDir: source.cacheDir,
    ...(source.token ? { token: source.token } : {}),
    ...(source.username ? { username: source.username } : {}),
    author: { name: flags['commit-author-name']!, email: flags['commit-author-email']! },
    ...(flags['commit-message'] ? { commitMessage: flags['commit-message'] } : {}),
    adopt: flags.adopt,
    ...(wantsGitHub ? { github: await githubFromEnv(flags, env) } : {}),
    log,
  };
}
