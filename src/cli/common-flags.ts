import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FlagSpec } from './command.ts';
import type { SourceOptions } from '../source/git-source.ts';
import { registerSecret } from '../log.ts';
import { oneOf, UsageError } from './command.ts';
import { parseDuration } from '../engine/duration.ts';
import { DEFAULT_LIMITS, formatSize, parseSize } from '../spec/limits.ts';
import type { InputLimits } from '../spec/limits.ts';
import { parseRenderRules, RULE_TYPES } from '../render/render-rules.ts';
import type { RenderRules } from '../render/render-rules.ts';


/** `4MiB`: a size as help shows it and the flag takes it. */
const sizeText = (bytes: number) => formatSize(bytes).replace(' ', '');

/** Size limits on what is read from a repository (see src/spec/limits.ts); each names its default. */
export const limitFlags = {
  'max-file-bytes': { type: 'string', value: 'SIZE', default: sizeText(DEFAULT_LIMITS.maxFileBytes), description: 'Largest file read from the repository (KiB, MiB, KB, MB or bytes); a larger one is an error of that file' },
  'max-documents': { type: 'string', value: 'N', default: String(DEFAULT_LIMITS.maxDocuments), description: 'Most YAML documents read from one file; the documents past it are an error' },
  'max-repo-bytes': { type: 'string', value: 'SIZE', default: sizeText(DEFAULT_LIMITS.maxRepoBytes), description: 'Most bytes read from the repository in all; past it the read fails like a fetch, so nothing is pruned' },
  'max-expanded-bytes': { type: 'string', value: 'SIZE', default: sizeText(DEFAULT_LIMITS.maxExpandedBytes), description: 'Largest size of one YAML document once its aliases are expanded' },
} satisfies Record<string, FlagSpec>;

export const sourceFlags = {
  repo: { type: 'string', value: 'URL', description: 'Specs repository: a local path, file:// or http(s):// URL (token from KSPEC_GIT_TOKEN, never a flag)' },
  branch: { type: 'string', value: 'BRANCH', description: 'Branch to read (default: the checked-out branch of a local path, the default branch of a URL)' },
  path: { type: 'string', value: 'DIR', description: 'Folder of the repository that holds the specs (default: all of it)' },
  'cache-dir': cacheDirFlag(),
  ...limitFlags,
} satisfies Record<string, FlagSpec>;

/** Which specs a pass serves besides the repository's own. */
export const servingFlags = {
  'cluster-specs': { type: 'boolean', description: 'With --repo, also serve the ClusterSpecifications applied to the cluster' },
  'take-over': { type: 'boolean', description: "Move specs another repository's mirror holds to this repository, on purpose" },
} satisfies Record<string, FlagSpec>;

export function servingOptions(flags: { 'cluster-specs': boolean; 'take-over': boolean }): { serveAppliedSpecs?: boolean; takeOver: boolean } {
  return { ...(flags['cluster-specs'] ? { serveAppliedSpecs: true } : {}), takeOver: flags['take-over'] };
}

/**
 * What a spec may render: the operator's choice, given as flags or environment
 * (KSPEC_ALLOW_RULE_TYPES, KSPEC_ALLOW_POLICY_NAMESPACES), never read from the repository.
 */
export const renderFlags = {
  'allow-rule-types': { type: 'string', value: 'TYPE,...', description: 'Rule types a spec may render besides validate: mutate, generate, verifyImages' },
  'allow-policy-namespaces': { type: 'string', value: 'NS,...', description: "Namespaces (names, or patterns such as team-*) a spec's Policies may land in (default: any)" },
} satisfies Record<string, FlagSpec>;

export function renderRules(flags: { 'allow-rule-types'?: string; 'allow-policy-namespaces'?: string }): RenderRules {
  const { rules, unknown } = parseRenderRules(flags['allow-rule-types'], flags['allow-policy-namespaces']);
  if (unknown.length) throw new UsageError(`--allow-rule-types takes a list of ${RULE_TYPES.join(', ')}; ${unknown.map((u) => JSON.stringify(u)).join(', ')} is not one`);
  return rules;
}

type LimitFlagValues = { [K in keyof typeof limitFlags]?: string };

export function inputLimits(flags: LimitFlagValues): InputLimits {
  const size = (flag: keyof typeof limitFlags): number => {
    const value = flags[flag] ?? limitFlags[flag].default;
    const bytes = parseSize(value);
    if (bytes === undefined) throw new UsageError(`--${flag} takes a size such as 4MiB, 500KB or 1048576, not ${JSON.stringify(value)}`);
    return bytes;
  };
  const documents = Number(flags['max-documents'] ?? limitFlags['max-documents'].default);
  if (!Number.isInteger(documents) || documents < 1) throw new UsageError(`--max-documents takes a positive whole number, not ${JSON.stringify(flags['max-documents'])}`);
  return { maxFileBytes: size('max-file-bytes'), maxDocuments: documents, maxRepoBytes: size('max-repo-bytes'), maxExpandedBytes: size('max-expanded-bytes') };
}

const OUTPUT_FORMATS = ['table', 'yaml', 'json'] as const;

export const outputFlag = { output: { type: 'string', short: 'o', value: 'FORMAT', values: OUTPUT_FORMATS, default: 'table', description: 'Output format' } } satisfies Record<string, FlagSpec>;

export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputFormat(value: string | undefined): OutputFormat {
  return oneOf('--output', value, OUTPUT_FORMATS);
}

/** Source options from flags; the Git token only ever comes from the environment. */
export function sourceOptions(flags: { repo?: string; branch?: string; path?: string; 'cache-dir'?: string } & LimitFlagValues, env: NodeJS.ProcessEnv): SourceOptions {
  if (!flags.repo) throw new UsageError('--repo is required (a local path, file:// or http(s):// URL; or set KSPEC_REPO)');
  const token = env.KSPEC_GIT_TOKEN || undefined;
  registerSecret(token);
  return {
    repo: flags.repo,
    ...(flags.branch ? { ref: flags.branch } : {}),
    ...(flags.path ? { path: flags.path } : {}),
    cacheDir: cacheDir(flags, env),
    limits: inputLimits(flags),
    ...(token ? { token } : {}),
    ...(env.KSPEC_GIT_USERNAME ? { username: env.KSPEC_GIT_USERNAME } : {}),
  };
}

/** How often an unchanged report or spec status is rewritten anyway, to move its timestamp. */
export const reportRefreshFlag = {
  'report-refresh': { type: 'string', value: 'DURATION', default: '10m', description: 'Rewrite an unchanged report or status once it is this old, to move its timestamp' },
} satisfies Record<string, FlagSpec>;

export function reportRefreshMs(value: string | undefined): number {
  const seconds = value === undefined ? null : parseDuration(value);
  if (seconds === null || seconds < 0) throw new UsageError(`--report-refresh takes a duration such as 10m or 1h, not ${JSON.stringify(value)}`);
  return seconds * 1000;
}

/** --cache-dir; a function so that check-repository.ts and sourceFlags share one text. */
export function cacheDirFlag() {
  return { type: 'string', value: 'DIR', description: 'Where clones and learned server forms are kept (default: $XDG_CACHE_HOME/kspec or ~/.cache/kspec)' } satisfies FlagSpec;
}

/** Where Git clones and learned server forms are kept: --cache-dir, or ~/.cache/kspec. */
export function cacheDir(flags: { 'cache-dir'?: string }, env: NodeJS.ProcessEnv): string {
  return flags['cache-dir'] ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kspec');
}

/** Source options when --repo is given; without it the pass serves the specs applied to the cluster. */
export function optionalSourceOptions(flags: { repo?: string; branch?: string; path?: string; 'cache-dir'?: string }, env: NodeJS.ProcessEnv): SourceOptions | undefined {
  return flags.repo ? sourceOptions(flags, env) : undefined;
}
