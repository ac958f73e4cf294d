/**
 * GitHub client construction: a token or a GitHub App installation, an optional GitHub
 * Enterprise base URL, and rate limits and server errors honoured by retrying rather than
 * dropping work, within what the caller can afford to wait.
 *
 * Every wait is decided in one place (boundedRetries below), so none can outlast the write-back
 * stage: a 5xx or a network error is retried after 1, 2, 4 s; a rate limit (403/429 with
 * x-ratelimit-remaining: 0 and x-ratelimit-reset, or with retry-after) after the time GitHub
 * asks for. A wait that would end past the budget of the stage (`within`), or past
 * `maxRetryAfterSeconds` outside one, is not taken: the request fails with a RetryLaterError and
 * the next pass takes the work up again. The pass's signal aborts requests and waits at once.
 * octokit's own retry and throttling retries are switched off for this reason (its throttling
 * still spaces writes as GitHub asks), since their waits could not be bounded or aborted.
 */
import { App, Octokit } from 'octokit';
import { registerBasicAuth, registerSecret } from '../redact.ts';
import { sleep } from './backoff.ts';
import { redactingLogger, silentLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import type { GitCredentials } from './git-repo.ts';
import { retryAfterSeconds } from '../util/retry-after.ts';

export interface GitHubAppAuth {
  appId: string | number;
  privateKey: string;
  installationId: number;
}

export interface GitHubClientOptions {
  /** owner/name of the repository kspec writes to. */
  owner: string;
  repo: string;
  /** A personal access token or installation token. */
  token?: string;
  /** Or authenticate as a GitHub App installation. */
  app?: GitHubAppAuth;
  /** API root; for GitHub Enterprise Server e.g. https://ghe.example.com/api/v3. */
  baseUrl?: string;
  log?: Logger;
  /** How many times one request is retried after rate limits or server errors (default 5). */
  maxRateLimitRetries?: number;
  /** Longest single wait outside a budget (`within`), seconds (default 60). */
  maxRetryAfterSeconds?: number;
  userAgent?: string;
}

/** What the requests of one stage may spend: aborted by `signal`, no wait ending after `deadline` (ms since epoch). */
export interface WaitBudget {
  signal?: AbortSignal;
  deadline?: number;
}

export interface GitHub {
  octokit: Octokit;
  owner: string;
  repo: string;
  /** Credentials for Git over HTTPS to the same repository (installation tokens refresh). */
  gitCredentials(): Promise<GitCredentials>;
  log: Logger;
  /** Runs `fn` with every request and wait of this client bounded by `budget` (stages never overlap). */
  within<T>(budget: WaitBudget, fn: () => Promise<T>): Promise<T>;
}

/** GitHub asked for a wait longer than the stage can afford; the next pass retries. */
export class RetryLaterError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined) {
    super(message);
    this.name = 'RetryLaterError';
    this.status = status;
  }
}

type ResponseError = { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };

/** How long to wait before retrying a failed request, and why; undefined: do not retry. */
export function retryWait(err: unknown, attempt: number, now = Date.now()): { ms: number; why: string } | undefined {
  const e = err as ResponseError;
  const h = e.response?.headers ?? {};
  if (e.status === 403 || e.status === 429) {
    if (h['x-ratelimit-remaining'] === '0' && h['x-ratelimit-reset'] !== undefined) {
      // GitHub says to wait until the reset time; one second more so the retry lands after it.
      return { ms: Math.max(0, Number(h['x-ratelimit-reset']) * 1000 - now) + 1000, why: 'primary rate limit' };
    }
    const retryAfter = retryAfterSeconds(h['retry-after']);
    if (retryAfter !== undefined) {
      return { ms: retryAfter * 1000, why: /\bsecondary rate\b/i.test(e.message ?? '') ? 'secondary rate limit' : 'asked to retry later' };
    }
    // A 429 without headers: GitHub's documentation says to wait at least a minute.
    return e.status === 429 ? { ms: 60_000, why: 'rate limit without retry-after' } : undefined;
  }
  // Server errors and failed connections (octokit gives those status 500).
  if (e.status === undefined || e.status >= 500) return { ms: 1000 * 2 ** attempt, why: `server error${e.status ? ` ${e.status}` : ''}` };
  return undefined;
}

interface RetryConfig {
  maxRetries: number;
  maxWaitMs: number;
  log: Logger;
  budget: WaitBudget;
}

function boundedRetries(octokit: { hook: Octokit['hook'] }, options: Record<string, any>) {
  const cfg = options.kspec as RetryConfig;
  octokit.hook.wrap('request', async (request, opts) => {
    for (let attempt = 0; ; attempt++) {
      const { signal, deadline } = cfg.budget;
      try {
        return await request(signal ? { ...opts, request: { ...opts.request, signal } } : opts);
      } catch (err) {
        signal?.throwIfAborted();
        const wait = retryWait(err, attempt);
        if (!wait || attempt >= cfg.maxRetries) throw err;
        const left = Math.min(cfg.maxWaitMs, (deadline ?? Infinity) - Date.now());
        if (wait.ms > left) {
          throw new RetryLaterError(`GitHub ${wait.why}: ${opts.method} ${opts.url} may be retried in ${Math.ceil(wait.ms / 1000)} s, more than the ${Math.max(0, Math.floor(left / 1000))} s write-back may still wait; the next pass retries`, (err as ResponseError).status);
        }
        cfg.log.warn(`GitHub ${wait.why}; waiting and retrying`, { method: opts.method, url: opts.url, waitSeconds: Math.ceil(wait.ms / 1000), attempt: attempt + 1 });
        await sleep(wait.ms, signal);
      }
    }
  });
  return {};
}

const KspecOctokit = Octokit.plugin(boundedRetries);

let clientSeq = 0;

function octokitOptions(opts: GitHubClientOptions, log: Logger, budget: WaitBudget) {
  const retries: RetryConfig = { maxRetries: opts.maxRateLimitRetries ?? 5, maxWaitMs: (opts.maxRetryAfterSeconds ?? 60) * 1000, log, budget };
  return {
    baseUrl: opts.baseUrl?.replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'kspec',
    log: {
      debug: (m: string) => log.debug?.(m),
      info: (m: string) => log.info(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.error(m),
    },
    // Limits come back to boundedRetries as errors: it decides whether the wait fits.
    throttle: {
      id: `kspec-${process.pid}-${++clientSeq}`,
      onRateLimit: () => false,
      onSecondaryRateLimit: () => false,
    },
    retry: { enabled: false },
    kspec: retries,
  };
}

/** The `within` of one client: sets the budget for the stage and clears it afterwards. */
function budgetRunner(budget: WaitBudget) {
  return async <T>(stage: WaitBudget, fn: () => Promise<T>): Promise<T> => {
    Object.assign(budget, stage);
    try {
      return await fn();
    } finally {
      delete budget.signal;
      delete budget.deadline;
    }
  };
}

/** Builds the client; for an App, exchanges the app JWT for an installation token. */
export async function createGitHub(opts: GitHubClientOptions): Promise<GitHub> {
  const log = redactingLogger(opts.log ?? silentLogger);
  const budget: WaitBudget = {};
  const within = budgetRunner(budget);
  const base = octokitOptions(opts, log, budget);
  if (opts.token) {
    registerBasicAuth('x-access-token', opts.token);
    const octokit = new KspecOctokit({ ...base, auth: opts.token });
    const token = opts.token;
    return {
      octokit, owner: opts.owner, repo: opts.repo, log, within,
      gitCredentials: async () => ({ username: 'x-access-token', password: token }),
    };
  }
  if (opts.app) {
    registerSecret(opts.app.privateKey);
    const app = new App({
      appId: opts.app.appId,
      privateKey: opts.app.privateKey,
      Octokit: KspecOctokit.defaults(base),
      log: base.log,
    });
    const octokit = (await app.getInstallationOctokit(opts.app.installationId)) as unknown as Octokit;
    const gitCredentials = async (): Promise<GitCredentials> => {
      const { token } = (await octokit.auth({ type: 'installation' })) as { token: string };
      registerBasicAuth('x-access-token', token);
      return { username: 'x-access-token', password: token };
    };
    await gitCredentials();
    return { octokit, owner: opts.owner, repo: opts.repo, log, gitCredentials, within };
  }
  throw new Error('GitHub write-back needs a token or GitHub App credentials');
}
