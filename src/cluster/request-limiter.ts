// Client-side limits on the requests kspec sends to one API server, as Kubernetes controllers
// have them (--kube-api-qps, --kube-api-burst): a token bucket that refills at `qps` and holds at
// most `burst` tokens, which also bounds the requests in flight. A request the server refuses
// with 429 Too Many Requests is sent again after the Retry-After it names (or a short backoff).
import type { KubeConfig } from './kube-config.ts';
import { retryAfterSeconds } from '../util/retry-after.ts';

export interface KubeApiLimits {
  /** Sustained requests per second. */
  qps: number;
  /** Requests that may go at once, and in flight at most. */
  burst: number;
}

/** Deadline of one API call: as kube-apiserver's own limit on a non-long-running request (--request-timeout 1m). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export const DEFAULT_KUBE_API_LIMITS: KubeApiLimits = { qps: 50, burst: 100 };

/** How often one request is retried after a 429 before its error is returned. */
const MAX_RETRIES = 5;
const DEFAULT_RETRY_AFTER_MS = 1000;
const MAX_RETRY_AFTER_MS = 30_000;

export interface LimiterClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const realClock: LimiterClock = { now: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export class RequestLimiter {
  private readonly limits: KubeApiLimits;
  private readonly clock: LimiterClock;
  private tokens: number;
  private refilledAt: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Requests the server refused with 429, retried or not. */
  throttled = 0;

  constructor(limits: KubeApiLimits = DEFAULT_KUBE_API_LIMITS, clock: LimiterClock = realClock) {
    if (!(limits.qps > 0) || !(limits.burst >= 1)) throw new Error(`kube API limits need qps > 0 and burst >= 1, not qps ${limits.qps}, burst ${limits.burst}`);
    this.limits = limits;
    this.clock = clock;
    this.tokens = limits.burst;
    this.refilledAt = clock.now();
  }

  /** Sends `call` when the limits allow it; again after Retry-After when the server answers 429. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.acquire();
      let retryIn: number;
      try {
        return await call();
      } catch (err) {
        if (statusOf(err) !== 429) throw err;
        this.throttled++;
        if (attempt >= MAX_RETRIES) throw err;
        retryIn = retryAfterMs(err) ?? DEFAULT_RETRY_AFTER_MS * 2 ** attempt;
      } finally {
        this.release();
      }
      await this.clock.sleep(retryIn);
    }
  }

  private async acquire(): Promise<void> {
    while (this.inFlight >= this.limits.burst) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.limits.qps);
      this.refilledAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(((1 - this.tokens) / this.limits.qps) * 1000);
    }
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  return typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

/** Retry-After in seconds (the form the API server sends), from the error's response headers. */
export function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as { headers?: Record<string, string | string[] | undefined> })?.headers;
  const seconds = retryAfterSeconds(headers?.['retry-after'] ?? headers?.['Retry-After']);
  return seconds === undefined ? undefined : Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
}

let defaults: KubeApiLimits = DEFAULT_KUBE_API_LIMITS;
const limiters = new WeakMap<KubeConfig, RequestLimiter>();

/** Sets the limits of every API server kspec talks to from now on (the CLI flags). */
export function setKubeApiLimits(limits: KubeApiLimits): void {
  defaults = limits;
}

/** The one limiter of the API server a KubeConfig reaches: every client built on it shares it. */
export function limiterFor(kc: KubeConfig): RequestLimiter {
  let limiter = limiters.get(kc);
  if (!limiter) limiters.set(kc, (limiter = new RequestLimiter(defaults)));
  return limiter;
}
