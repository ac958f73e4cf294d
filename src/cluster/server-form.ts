import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DesiredPolicy, KyvernoPolicy } from '../render/desired-policy.ts';
import { policyKey } from '../render/desired-policy.ts';

type Spec = Record<string, unknown>;

/** What can ask an API server how it would store a policy: PolicyClient.storedForm. */
export interface StoredFormSource {
  storedForm(policy: KyvernoPolicy): Promise<KyvernoPolicy>;
}

/** The stored form of desired policies in one cluster, as far as it is known. */
export interface ServerForms {
  /** The spec the API server stores for each desired policy, by policyKey. */
  specs: Map<string, Spec>;
  /** Policies whose form came from an earlier pass rather than a dry run just now. */
  cached: Set<string>;
  /** Policies whose form is unknown, and why: they are compared with the normalizer table alone. */
  unavailable: { policy: string; reason: string }[];
}

export interface ServerFormOptions {
  /** Forms kept, least recently used dropped first. */
  maxEntries?: number;
  /** After a refused dry run, how long to compare without asking again. */
  retryAfterMs?: number;
  /** Dry runs in flight at once per cluster. */
  concurrency?: number;
  now?: () => number;
}

/**
 * What each desired policy looks like once the API server has stored it (CRD defaults and
 * pruning, mutating webhooks such as Kyverno's), learned by a dry-run create and kept per
 * cluster and content hash of the desired policy. A pass in which nothing changed in Git asks
 * the API server nothing; a changed check costs one dry run. A process keeps one cache (`kspec
 * run` across its passes).
 *
 * Never throws: a dry run that is refused, or an API server that does not answer, leaves the
 * form unknown, and the reason is returned so the pass can say so. The refusal is remembered
 * for a while, so idle passes do not repeat it.
 */
/** How long a form learned by an earlier process is trusted by a later one. */
export const SAVED_FORM_TTL_MS = 24 * 60 * 60_000;

interface SavedForms {
  version: 1;
  /** cache key, stored spec, when it was learned (ms since the epoch) */
  forms: [string, Spec, number][];
}

export class ServerFormCache {
  private readonly forms = new Map<string, Spec>();
  private readonly learnedAt = new Map<string, number>();
  private readonly refusals = new Map<string, { reason: string; until: number }>();
  private readonly maxEntries: number;
  private readonly retryAfterMs: number;
  private readonly concurrency: number;
  private readonly now: () => number;

  constructor(options: ServerFormOptions = {}) {
    this.maxEntries = options.maxEntries ?? 20_000;
    this.retryAfterMs = options.retryAfterMs ?? 5 * 60_000;
    this.concurrency = options.concurrency ?? 4;
    this.now = options.now ?? Date.now;
  }

  /**
   * A cache that starts with the forms an earlier process saved to `file`, each for a day after
   * it was learned: `reconcile` and `plan` run one pass per process, and without this
   * every run would dry-run every policy again. A missing or unreadable file starts empty.
   */
  static load(file: string, options: ServerFormOptions = {}): ServerFormCache {
    const cache = new ServerFormCache(options);
    let saved: SavedForms | undefined;
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as SavedForms;
    } catch {
      return cache;
    }
    if (saved?.version !== 1 || !Array.isArray(saved.forms)) return cache;
    for (const [key, spec, at] of saved.forms) {
      if (typeof key === 'string' && spec && typeof at === 'number' && cache.now() - at < SAVED_FORM_TTL_MS) cache.remember(key, spec, at);
    }
    return cache;
  }

  /** Saves the known forms to `file` for the next process (written aside, then renamed over it). */
  save(file: string): void {
    const saved: SavedForms = { version: 1, forms: [...this.forms].map(([key, spec]) => [key, spec, this.learnedAt.get(key) ?? this.now()]) };
    mkdirSync(dirname(file), { recursive: true });
    const aside = `${file}.${process.pid}.tmp`;
    writeFileSync(aside, JSON.stringify(saved), { mode: 0o600 });
    renameSync(aside, file);
  }

  /**
   * The stored forms of `desired` in `cluster`, learning the ones not known yet; those in
   * `refresh` are learned again even if known (a drift verdict is confirmed with a fresh form,
   * in case a Kyverno upgrade changed what the server stores).
   */
  async formsOf(cluster: string, source: StoredFormSource, desired: DesiredPolicy[], refresh: ReadonlySet<string> = new Set()): Promise<ServerForms> {
    const result: ServerForms = { specs: new Map(), cached: new Set(), unavailable: [] };
    const toLearn: { key: string; cacheKey: string; policy: KyvernoPolicy }[] = [];
    for (const { object } of desired) {
      const key = policyKey(object);
      const cacheKey = `${cluster}\0${contentHash(object)}`;
      const known = refresh.has(key) ? undefined : this.recall(cacheKey);
      if (known) {
        result.specs.set(key, known);
        result.cached.add(key);
      } else {
        toLearn.push({ key, cacheKey, policy: object });
      }
    }

    const learn = async ({ key, cacheKey, policy }: (typeof toLearn)[number]) => {
      const refused = this.activeRefusal(cluster) ?? this.activeRefusal(cacheKey);
      if (refused) return void result.unavailable.push({ policy: key, reason: refused });
      try {
        const spec = ((await source.storedForm(policy)).spec ?? {}) as Spec;
        this.remember(cacheKey, spec);
        result.specs.set(key, spec);
      } catch (err) {
        const reason = (err as Error).message;
        // An invalid policy is refused on its own; anything else (no rights, no answer, no CRD,
        // a webhook down) would refuse every other dry run on this cluster as well.
        const code = (err as { code?: number }).code;
        this.refusals.set(code === 400 || code === 422 ? cacheKey : cluster, { reason, until: this.now() + this.retryAfterMs });
        result.unavailable.push({ policy: key, reason });
      }
    };
    // The first dry run alone: when the cluster refuses it, the others are not even sent.
    const [first, ...rest] = toLearn;
    if (first) await learn(first);
    const next = rest[Symbol.iterator]();
    const worker = async () => {
      for (let item = next.next(); !item.done; item = next.next()) await learn(item.value);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, rest.length) }, worker));
    result.unavailable.sort((a, b) => a.policy.localeCompare(b.policy));
    return result;
  }

  /**
   * Remembers what a real create of exactly `desired` stored: that is its server form, so the
   * pass that created a policy does not dry-run it again to confirm.
   */
  rememberCreated(cluster: string, desired: KyvernoPolicy, stored: KyvernoPolicy): void {
    this.remember(`${cluster}\0${contentHash(desired)}`, (stored.spec ?? {}) as Spec);
  }

  private recall(cacheKey: string): Spec | undefined {
    const spec = this.forms.get(cacheKey);
    if (spec) {
      // Most recently used last, so the oldest entry is the first to go.
      this.forms.delete(cacheKey);
      this.forms.set(cacheKey, spec);
    }
    return spec;
  }

  private remember(cacheKey: string, spec: Spec, learnedAt = this.now()): void {
    this.forms.delete(cacheKey);
    this.forms.set(cacheKey, spec);
    this.learnedAt.set(cacheKey, learnedAt);
    this.refusals.delete(cacheKey);
    while (this.forms.size > this.maxEntries) {
      const oldest = this.forms.keys().next().value!;
      this.forms.delete(oldest);
      this.learnedAt.delete(oldest);
    }
  }

  private activeRefusal(key: string): string | undefined {
    const refusal = this.refusals.get(key);
    if (!refusal) return undefined;
    if (refusal.until > this.now()) return refusal.reason;
    this.refusals.delete(key);
    return undefined;
  }
}

/**
 * What the stored spec depends on: the kind and the spec. Not the metadata: the source commit
 * annotation changes with every commit, and a new commit must not cost a dry run per policy.
 */
function contentHash(policy: KyvernoPolicy): string {
  return createHash('sha256').update(JSON.stringify([policy.apiVersion, policy.kind, policy.spec])).digest('hex');
}
