/**
 * GitHub client construction: a token or a GitHub App installation, an optional GitHub
 * Enterprise base URL, and rate limits honoured by retrying rather than dropping work.
 *
 * octokit's throttling plugin handles primary limits (403/429 with x-ratelimit-remaining: 0,
 * waits until x-ratelimit-reset) and secondary limits (waits retry-after); its retry plugin
 * retries 5xx. The handlers here retry up to `maxRateLimitRetries` times. A small outer hook
 * also waits out any other 403/429 that carries retry-after (GitHub sends those for some
 * abuse limits without the "secondary rate" wording the plugin looks for).
 */
import { App, Octokit } from 'octokit';
import { registerBasicAuth, registerSecret } from '../redact.ts';
import { sleep } from './backoff.ts';
import { redactingLogger, silentLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import type { GitCredentials } from './git-repo.ts';

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
  /** How many times one request is retried after rate-limit responses (default 5). */
  maxRateLimitRetries?: number;
  /** Longest wait kspec accepts for one rate-limit retry, seconds (default 3600). */
  maxRetryAfterSeconds?: number;
  userAgent?: string;
}

export interface GitHub {
  octokit: Octokit;
  owner: string;
  repo: string;
  /** Credentials for Git over HTTPS to the same repository (installation tokens refresh). */
  gitCredentials(): Promise<GitCredentials>;
  log: Logger;
}

type RequestOptions = { method?: string; url?: string; request?: { retryCount?: number } };

function retryAfterPlugin(octokit: { hook: Octokit['hook'] }, options: Record<string, any>) {
  const cfg = (options.kspec ?? {}) as { maxRetries?: number; maxWait?: number; log?: Logger };
  const maxRetries = cfg.maxRetries ?? 5;
  const maxWait = cfg.maxWait ?? 3600;
  octokit.hook.wrap('request', async (request, opts) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(opts);
      } catch (err) {
        const e = err as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };
        const h = e.response?.headers ?? {};
        const handledByThrottle = /\bsecondary rate\b/i.test(e.message ?? '') || h['x-ratelimit-remaining'] === '0';
        const ra = Number(h['retry-after']);
        if ((e.status === 429 || e.status === 403) && !handledByThrottle && Number.isFinite(ra) && ra >= 0 && ra <= maxWait && attempt < maxRetries) {
          cfg.log?.warn('GitHub asked to retry later; waiting', { method: opts.method, url: opts.url, retryAfterSeconds: ra, attempt: attempt + 1 });
          await sleep(ra * 1000);
          continue;
        }
        throw err;
      }
    }
  });
  return {};
}

const KspecOctokit = Octokit.plugin(retryAfterPlugin);

let clientSeq = 0;

function octokitOptions(opts: GitHubClientOptions, log: Logger) {
  const maxRetries = opts.maxRateLimitRetries ?? 5;
  const maxWait = opts.maxRetryAfterSeconds ?? 3600;
  const onLimit = (kind: string) => (retryAfter: number, o: RequestOptions, _octokit: unknown, retryCount: number) => {
    const retry = retryCount < maxRetries && retryAfter <= maxWait;
    log.warn(`GitHub ${kind} rate limit; ${retry ? 'waiting and retrying' : 'giving up'}`, { method: o.method, url: o.url, retryAfterSeconds: retryAfter, retryCount });
    return retry;
  };
  return {
    baseUrl: opts.baseUrl?.replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'kspec',
    log: {
      debug: (m: string) => log.debug?.(m),
      info: (m: string) => log.info(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.error(m),
    },
    throttle: {
      id: `kspec-${process.pid}-${++clientSeq}`,
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
    },
    // 429 is left to the retry-after hook below, so its wait is GitHub's, not a fixed backoff.
    retry: { retries: 3, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    kspec: { maxRetries, maxWait, log },
  };
}

/** Builds the client; for an App, exchanges the app JWT for an installation token. */
export async function createGitHub(opts: GitHubClientOptions): Promise<GitHub> {
  const log = redactingLogger(opts.log ?? silentLogger);
  const base = octokitOptions(opts, log);
  if (opts.token) {
    registerBasicAuth('x-access-token', opts.token);
    const octokit = new KspecOctokit({ ...base, auth: opts.token });
    const token = opts.token;
    return {
      octokit, owner: opts.owner, repo: opts.repo, log,
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
    return { octokit, owner: opts.owner, repo: opts.repo, log, gitCredentials };
  }
  throw new Error('GitHub write-back needs a token or GitHub App credentials');
}
