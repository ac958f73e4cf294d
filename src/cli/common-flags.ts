import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FlagSpec } from './command.ts';
import type { SourceOptions } from '../source/git-source.ts';
import { registerSecret } from '../log.ts';
import { oneOf, UsageError } from './command.ts';
import { parseDuration } from '../engine/duration.ts';

export const sourceFlags = {
  repo: { type: 'string' },
  branch: { type: 'string' },
  path: { type: 'string' },
  'cache-dir': { type: 'string' },
} satisfies Record<string, FlagSpec>;

/** Which specs a pass serves besides the repository's own. */
export const servingFlags = {
  'cluster-specs': { type: 'boolean' },
  'take-over': { type: 'boolean' },
} satisfies Record<string, FlagSpec>;

export function servingOptions(flags: { 'cluster-specs': boolean; 'take-over': boolean }): { serveAppliedSpecs?: boolean; takeOver: boolean } {
  return { ...(flags['cluster-specs'] ? { serveAppliedSpecs: true } : {}), takeOver: flags['take-over'] };
}

export const outputFlag = { output: { type: 'string', short: 'o', default: 'table' } } satisfies Record<string, FlagSpec>;

export type OutputFormat = 'table' | 'yaml' | 'json';

export function outputFormat(value: string | undefined): OutputFormat {
  return oneOf('--output', value, ['table', 'yaml', 'json'] as const);
}

/** Source options from flags; the Git token only ever comes from the environment. */
export function sourceOptions(flags: { repo?: string; branch?: string; path?: string; 'cache-dir'?: string }, env: NodeJS.ProcessEnv): SourceOptions {
  if (!flags.repo) throw new UsageError('--repo is required (a local path, file:// or http(s):// URL; or set KSPEC_REPO)');
  const token = env.KSPEC_GIT_TOKEN || undefined;
  registerSecret(token);
  return {
    repo: flags.repo,
    ...(flags.branch ? { ref: flags.branch } : {}),
    ...(flags.path ? { path: flags.path } : {}),
    cacheDir: cacheDir(flags, env),
    ...(token ? { token } : {}),
    ...(env.KSPEC_GIT_USERNAME ? { username: env.KSPEC_GIT_USERNAME } : {}),
  };
}

/** How often an unchanged report or spec status is rewritten anyway, to move its timestamp. */
export const reportRefreshFlag = { 'report-refresh': { type: 'string', default: '10m' } } satisfies Record<string, FlagSpec>;

export function reportRefreshMs(value: string | undefined): number {
  const seconds = value === undefined ? null : parseDuration(value);
  if (seconds === null || seconds < 0) throw new UsageError(`--report-refresh takes a duration such as 10m or 1h, not ${JSON.stringify(value)}`);
  return seconds * 1000;
}

/** Where Git clones and learned server forms are kept: --cache-dir, or ~/.cache/kspec. */
export function cacheDir(flags: { 'cache-dir'?: string }, env: NodeJS.ProcessEnv): string {
  return flags['cache-dir'] ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kspec');
}

/** Source options when --repo is given; without it the pass serves the specs applied to the cluster. */
export function optionalSourceOptions(flags: { repo?: string; branch?: string; path?: string; 'cache-dir'?: string }, env: NodeJS.ProcessEnv): SourceOptions | undefined {
  return flags.repo ? sourceOptions(flags, env) : undefined;
}
