import type { FlagSpec } from './command.ts';
import { oneOf, UsageError } from './command.ts';
import type { WriteBackMode } from '../api/types.ts';
import type { GitWriteBackConfig } from '../reconcile/git-write-back.ts';
import type { SourceOptions } from '../source/git-source.ts';
import type { Logger } from '../log.ts';
import { githubFlags, githubFromEnv } from './github-flags.ts';
import { parsePromoteAfter } from '../promotion/promotion.ts';
import { parseDuration } from '../engine/duration.ts';

const WRITE_BACK_MODES = ['none', 'commit', 'pull-request'] as const;

export const writeBackFlags = {
  'write-back': { type: 'string', value: 'MODE', values: WRITE_BACK_MODES, default: 'none', description: 'Write results to Git: commit reports to --reports-branch, or keep drift and promotion pull requests' },
  'reports-branch': { type: 'string', value: 'BRANCH', default: 'kspec-reports', description: 'Branch reports are committed to (never the branch kspec reads)' },
  'commit-author-name': { type: 'string', value: 'NAME', default: 'kspec', description: 'Author name of report commits' },
  'commit-author-email': { type: 'string', value: 'EMAIL', default: 'kspec@users.noreply.github.com', description: 'Author email of report commits' },
  'commit-message': { type: 'string', value: 'TEXT', description: 'Message of report commits (default: one that names the source commit)' },
  adopt: { type: 'boolean', description: 'Propose the drift of remediation: report specs back into their spec files, in the drift pull request' },
  'promote-after': { type: 'string', value: 'DURATION', default: '7d', description: 'With pull-request write-back, propose enforce for a monitor spec clean this long (7d, 36h, 1d12h; never: no promotion pull requests)' },
  'write-back-timeout': { type: 'string', value: 'DURATION', default: '2m', description: 'Longest a pass spends writing back, waits for GitHub included; what is left is written by the next pass' },
  ...githubFlags,
} satisfies Record<string, FlagSpec>;

type WriteBackFlagValues = {
  'write-back'?: string;
  'reports-branch'?: string;
  'commit-author-name'?: string;
  'commit-author-email'?: string;
  'commit-message'?: string;
  adopt: boolean;
  'promote-after'?: string;
  'write-back-timeout'?: string;
  'github-repository'?: string;
  'github-api-url'?: string;
};

/**
 * Write-back settings; GitHub is only required when some spec may open pull requests. Without a
 * specs repository there is nowhere to write back to.
 */
export async function writeBackConfig(flags: WriteBackFlagValues, source: SourceOptions | undefined, env: NodeJS.ProcessEnv, log: Logger): Promise<GitWriteBackConfig | undefined> {
  const mode: WriteBackMode = oneOf('--write-back', flags['write-back'], WRITE_BACK_MODES);
  if (!source) {
    if (mode !== 'none') throw new UsageError('--write-back needs --repo: reports are written back to the specs repository');
    return undefined;
  }
  const timeout = parseDuration(flags['write-back-timeout'] ?? '2m');
  if (timeout === null || timeout <= 0) throw new UsageError(`--write-back-timeout takes a duration such as 90s or 2m, not ${JSON.stringify(flags['write-back-timeout'])}`);
  const wantsGitHub = mode === 'pull-request' || Boolean(flags['github-repository'] ?? env.GITHUB_REPOSITORY);
  let promoteAfterMs: number | undefined;
  try {
    promoteAfterMs = parsePromoteAfter(flags['promote-after']!);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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
    ...(promoteAfterMs !== undefined ? { promoteAfterMs } : {}),
    timeoutMs: timeout * 1000,
    ...(wantsGitHub ? { github: await githubFromEnv(flags, env, log) } : {}),
    log,
  };
}
