/**
 * A write-back Git repository: a bare cache clone (isomorphic-git) that fetches, builds
 * commits without a working tree, and pushes.
 *
 * - Credentials reach the remote only through onAuth; the remote URL written to the cache's
 *   config never carries them (credentials found in a URL are moved to onAuth).
 * - `updateBranch` is fast-forward only: on a rejected push it fetches again, rebuilds its
 *   change on top of the new head and retries with backoff, so a commit someone else made
 *   in between is never lost.
 * - `replaceOwnedBranch` may force-update, and only branches under `kspec/` whose commits
 *   since the base are kspec's own.
 */
import * as fs from 'node:fs';
import * as git from 'isomorphic-git';
import { gitHttp } from '../source/git-http.ts';
import { redactSecrets, registerBasicAuth, safeError, redactString } from '../redact.ts';
import { backoff, sleep } from './backoff.ts';
import { redactingLogger, silentLogger } from './logger.ts';
import { parseRepo } from '../source/repo-url.ts';
import type { Logger } from './logger.ts';

export interface GitCredentials {
  username: string;
  password: string;
}

export interface GitIdentity {
  name: string;
  email: string;
}

export interface GitRepoOptions {
  /** Remote URL (https). Credentials in it are moved to onAuth and never stored. */
  url: string;
  /** Directory of the bare cache clone; created when missing. */
  cacheDir: string;
  /** A token (sent as Basic x-access-token:<token>), credentials, or a provider of them. */
  auth?: string | GitCredentials | (() => Promise<GitCredentials | undefined> | GitCredentials | undefined);
  author: GitIdentity;
  committer?: GitIdentity;
  log?: Logger;
  /** Push attempts before giving up (default 6) and backoff bounds. */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Clock for commit timestamps (tests). */
  now?: () => Date;
  /** Aborts every request and wait (the pass's signal, with the write-back budget). */
  signal?: AbortSignal;
}

/** path -> new content, or null to delete. */
export type FileChanges = Map<string, string | null>;

export interface BranchUpdate {
  message: string;
  changes: FileChanges;
}

export interface UpdateResult {
  /** The branch head after the update (undefined when the branch does not exist). */
  sha?: string;
  pushed: boolean;
  attempts: number;
}

export const OWNED_PREFIX = 'kspec/';

const ZERO = '0000000000000000000000000000000000000000';

interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export class GitRepo {
  readonly url: string;
  readonly gitdir: string;
  readonly author: GitIdentity;
  readonly committer: GitIdentity;
  #auth: GitRepoOptions['auth'];
  #log: Logger;
  #attempts: number;
  #baseDelay: number;
  #maxDelay: number;
  #now: () => Date;
  #ready?: Promise<void>;
  #cache = {};
  #signal: AbortSignal | undefined;

  constructor(opts: GitRepoOptions) {
    const split = parseRepo(opts.url);
    this.url = split.location;
    this.gitdir = opts.cacheDir;
    this.author = opts.author;
    this.committer = opts.committer ?? opts.author;
    this.#auth = opts.auth ?? (split.password ? { username: split.username ?? 'x-access-token', password: split.password } : undefined);
    if (typeof this.#auth === 'string') registerBasicAuth('x-access-token', this.#auth);
    else if (this.#auth && typeof this.#auth === 'object') registerBasicAuth(this.#auth.username, this.#auth.password);
    this.#log = redactingLogger(opts.log ?? silentLogger);
    this.#attempts = opts.retry?.attempts ?? 6;
    this.#baseDelay = opts.retry?.baseDelayMs ?? 200;
    this.#maxDelay = opts.retry?.maxDelayMs ?? 10_000;
    this.#now = opts.now ?? (() => new Date());
    this.#signal = opts.signal;
  }

  async #credentials(): Promise<GitCredentials | undefined> {
    const a = this.#auth;
    if (!a) return undefined;
    if (typeof a === 'string') return { username: 'x-access-token', password: a };
    if (typeof a === 'function') {
      const c = await a();
      if (c) registerBasicAuth(c.username, c.password);
      return c;
    }
    return a;
  }

  #remoteOpts() {
    return {
      http: gitHttp(this.#signal ? { signal: this.#signal } : {}),
      url: this.url,
      onAuth: async () => (await this.#credentials()) ?? {},
      onAuthFailure: () => ({ cancel: true }),
    };
  }

  async #init(): Promise<void> {
    this.#ready ??= (async () => {
      if (!fs.existsSync(`${this.gitdir}/config`)) {
        await fs.promises.mkdir(this.gitdir, { recursive: true });
        await git.init({ fs, gitdir: this.gitdir, bare: true, defaultBranch: 'main' });
      }
      await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.url, force: true });
    })();
    return this.#ready;
  }

  #wrap(err: unknown, context: string): Error {
    if ((err as { code?: string })?.code === 'UserCanceledError') {
      const e = new Error('authentication failed (HTTP 401): check the Git credentials') as Error & { code: string };
      e.code = 'HttpAuthError';
      return safeError(e, context);
    }
    return safeError(err, context);
  }

  /** Branch heads on the remote (refs/heads/* only). */
  async remoteBranches(): Promise<Map<string, string>> {
    await this.#init();
    try {
      const refs = await git.listServerRefs({ ...this.#remoteOpts(), prefix: 'refs/heads/' });
      return new Map(refs.map((r) => [r.ref.slice('refs/heads/'.length), r.oid] as [string, string]));
    } catch (err) {
      throw this.#wrap(err, `listing branches of ${this.url}`);
    }
  }

  /** Fetches one branch; returns its head, or undefined when the branch does not exist. */
  async fetchBranch(branch: string): Promise<string | undefined> {
    await this.#init();
    const heads = await this.remoteBranches();
    const oid = heads.get(branch);
    if (!oid) return undefined;
    if (!(await this.#hasObject(oid))) {
      try {
        await git.fetch({ fs, gitdir: this.gitdir, ...this.#remoteOpts(), remote: 'origin', ref: branch, singleBranch: true, tags: false, cache: this.#cache });
      } catch (err) {
        throw this.#wrap(err, `fetching ${branch}`);
      }
    }
    return oid;
  }

  async #hasObject(oid: string): Promise<boolean> {
    try {
      await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'deflated', cache: this.#cache });
      return true;
    } catch {
      return false;
    }
  }

  /** A file's text at a commit, or undefined when absent. */
  async readFile(commit: string | undefined, path: string): Promise<string | undefined> {
    if (!commit) return undefined;
    try {
      const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: commit, filepath: path, cache: this.#cache });
      return Buffer.from(blob).toString('utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'NotFoundError') return undefined;
      throw this.#wrap(err, `reading ${path}`);
    }
  }

  async commitInfo(sha: string): Promise<{ tree: string; parents: string[]; author: GitIdentity; committer: GitIdentity; message: string }> {
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid: sha, cache: this.#cache });
    return {
      tree: commit.tree,
      parents: commit.parent,
      author: { name: commit.author.name, email: commit.author.email },
      committer: { name: commit.committer.name, email: commit.committer.email },
      message: commit.message,
    };
  }

  async #treeOf(commit: string | undefined): Promise<string | undefined> {
    return commit ? (await this.commitInfo(commit)).tree : undefined;
  }

  /** Writes a tree equal to `base` with `changes` applied; returns its oid. */
  async #applyToTree(base: string | undefined, changes: Map<string, string | null>): Promise<string> {
    const entries: TreeEntry[] = base
      ? ((await git.readTree({ fs, gitdir: this.gitdir, oid: base, cache: this.#cache })).tree as TreeEntry[])
      : [];
    const byName = new Map(entries.map((e) => [e.path, e] as [string, TreeEntry]));
    const sub = new Map<string, Map<string, string | null>>();
    for (const [path, content] of changes) {
      const slash = path.indexOf('/');
      if (slash < 0) {
        if (content === null) byName.delete(path);
        else {
          const oid = await git.writeBlob({ fs, gitdir: this.gitdir, blob: Buffer.from(content, 'utf8') });
          const prev = byName.get(path);
          byName.set(path, { mode: prev?.type === 'blob' ? prev.mode : '100644', path, oid, type: 'blob' });
        }
      } else {
        const dir = path.slice(0, slash);
        const m = sub.get(dir) ?? new Map<string, string | null>();
        m.set(path.slice(slash + 1), content);
        sub.set(dir, m);
      }
    }
    for (const [dir, m] of sub) {
      const prev = byName.get(dir);
      const oid = await this.#applyToTree(prev?.type === 'tree' ? prev.oid : undefined, m);
      const empty = (await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.#cache })).tree.length === 0;
      if (empty) byName.delete(dir);
      else byName.set(dir, { mode: '040000', path: dir, oid, type: 'tree' });
    }
    return git.writeTree({ fs, gitdir: this.gitdir, tree: [...byName.values()] });
  }

  /** Writes a commit on `parent` (or a root commit) with the changes; undefined when the tree would not change. */
  async commitChanges(parent: string | undefined, update: BranchUpdate, opts: { allowEmpty?: boolean } = {}): Promise<string | undefined> {
    const baseTree = await this.#treeOf(parent);
    const tree = await this.#applyToTree(baseTree, update.changes);
    if (tree === baseTree && !opts.allowEmpty) return undefined;
    const now = this.#now();
    const when = { timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: 0 };
    return git.writeCommit({
      fs,
      gitdir: this.gitdir,
      commit: {
        message: redactSecrets(update.message.endsWith('\n') ? update.message : `${update.message}\n`),
        tree,
        parent: parent ? [parent] : [],
        author: { ...this.author, ...when },
        committer: { ...this.committer, ...when },
      },
    });
  }

  /**
   * Pushes `sha` to `branch`. With `lease`, the push goes ahead only if the remote branch
   * still points at the leased commit (undefined: does not exist) — a force-with-lease, so a
   * commit that lands after kspec's ownership check is never overwritten.
   */
  async #push(branch: string, sha: string, force: boolean, lease?: { oid: string | undefined }): Promise<void> {
    const local = `refs/heads/${branch}`;
    await git.writeRef({ fs, gitdir: this.gitdir, ref: local, value: sha, force: true });
    let leaseBroken = false;
    const onPrePush = lease
      ? ({ remoteRef }: { remoteRef: { oid: string } }) => {
          leaseBroken = remoteRef.oid !== (lease.oid ?? ZERO);
          return !leaseBroken;
        }
      : undefined;
    let result;
    try {
      result = await git.push({ fs, gitdir: this.gitdir, ...this.#remoteOpts(), remote: 'origin', ref: local, remoteRef: local, force, onPrePush, cache: this.#cache });
    } catch (err) {
      if (leaseBroken) {
        const e = new Error(`push of ${branch} rejected: the branch moved since kspec checked it`) as Error & { code: string };
        e.code = 'PushRejectedError';
        throw e;
      }
      throw err;
    }
    if (!result.ok) {
      const reason = Object.values(result.refs ?? {}).map((r) => r.error).filter(Boolean).join('; ');
      const e = new Error(`push of ${branch} rejected: ${reason || result.error || 'unknown'}`) as Error & { code: string };
      e.code = 'PushRejectedError';
      throw e;
    }
  }

  static isRejection(err: unknown): boolean {
    const e = err as { code?: string; message?: string; data?: { reason?: string } };
    if (e?.code === 'PushRejectedError' || e?.code === 'GitPushError') return true;
    // The advertised remote head is not in the cache yet: someone pushed after our fetch.
    if (e?.code === 'NotFoundError') return true;
    return /non-fast-forward|fetch first|stale info|failed to update ref|cannot lock ref|rejected/i.test(e?.message ?? '');
  }

  /**
   * Fast-forward update of `branch`: fetch, build on the current head, push without force.
   * `build` returns null when there is nothing to change at that head. On rejection the
   * whole fetch+build+push repeats with backoff, so concurrent commits are kept.
   */
  async updateBranch(branch: string, build: (head: string | undefined) => Promise<BranchUpdate | null> | BranchUpdate | null): Promise<UpdateResult> {
    let lastErr: unknown;
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      const head = await this.fetchBranch(branch);
      const update = await build(head);
      if (!update) return { sha: head, pushed: false, attempts: attempt };
      const sha = await this.commitChanges(head, update);
      if (!sha) return { sha: head, pushed: false, attempts: attempt };
      try {
        await this.#push(branch, sha, false);
        this.#log.info('pushed', { branch, commit: sha, attempt });
        return { sha, pushed: true, attempts: attempt };
      } catch (err) {
        lastErr = err;
        if (!GitRepo.isRejection(err)) throw this.#wrap(err, `pushing ${branch}`);
        const wait = backoff(attempt, this.#baseDelay, this.#maxDelay);
        this.#log.warn('push rejected, fetching and retrying on top of the new head', { branch, attempt, waitMs: wait, reason: redactString(String((err as Error).message ?? err)) });
        await sleep(wait, this.#signal);
      }
    }
    throw this.#wrap(lastErr, `pushing ${branch}: gave up after ${this.#attempts} attempts`);
  }

  /** True when every commit on `head` that is not in `base`'s history was made by kspec. */
  async #ownedHistory(head: string, base: string | undefined): Promise<boolean> {
    let cur: string | undefined = head;
    for (let i = 0; cur && i < 200; i++) {
      if (base && (await this.#isAncestor(cur, base))) return true;
      if (!(await this.#hasObject(cur))) return false;
      const info = await this.commitInfo(cur);
      if (info.committer.email !== this.committer.email) return false;
      cur = info.parents[0];
    }
    return true;
  }

  async #isAncestor(ancestor: string, oid: string): Promise<boolean> {
    if (ancestor === oid) return true;
    try {
      return await git.isDescendent({ fs, gitdir: this.gitdir, oid, ancestor, depth: -1, cache: this.#cache });
    } catch {
      return false;
    }
  }

  /**
   * Points a kspec-owned branch (`kspec/...`) at one commit on top of `baseBranch` with the
   * changes. Force-pushes only when the branch is owned and its commits since the base are
   * kspec's; otherwise leaves it alone. No push when the branch already has this content on
   * the current base.
   */
  async replaceOwnedBranch(branch: string, baseBranch: string, update: BranchUpdate): Promise<UpdateResult & { skipped?: string }> {
    if (!branch.startsWith(OWNED_PREFIX)) throw new Error(`refusing to force-update ${branch}: kspec owns only ${OWNED_PREFIX}* branches`);
    let lastErr: unknown;
    for (let attempt = 1; attempt <= this.#attempts; attempt++) {
      const base = await this.fetchBranch(baseBranch);
      if (!base) throw new Error(`base branch ${baseBranch} does not exist`);
      const current = await this.fetchBranch(branch);
      const wanted = await this.commitChanges(base, update, { allowEmpty: true });
      if (!wanted) throw new Error('internal: no commit');
      if (current) {
        const cur = await this.commitInfo(current);
        const want = await this.commitInfo(wanted);
        if (cur.tree === want.tree && cur.parents[0] === base) return { sha: current, pushed: false, attempts: attempt };
        if (!(await this.#ownedHistory(current, base))) {
          const reason = `branch ${branch} has commits not made by kspec; leaving it untouched`;
          this.#log.warn(reason, { branch });
          return { sha: current, pushed: false, attempts: attempt, skipped: reason };
        }
      }
      try {
        await this.#push(branch, wanted, true, { oid: current });
        this.#log.info('updated owned branch', { branch, commit: wanted, attempt });
        return { sha: wanted, pushed: true, attempts: attempt };
      } catch (err) {
        lastErr = err;
        if (!GitRepo.isRejection(err)) throw this.#wrap(err, `pushing ${branch}`);
        const wait = backoff(attempt, this.#baseDelay, this.#maxDelay);
        this.#log.warn('owned branch moved while updating it; checking again', { branch, attempt, waitMs: wait });
        await sleep(wait, this.#signal);
      }
    }
    throw this.#wrap(lastErr, `pushing ${branch}: gave up after ${this.#attempts} attempts`);
  }

  /** Deletes a kspec-owned branch on the remote (no-op when absent). */
  async deleteOwnedBranch(branch: string, baseBranch: string): Promise<boolean> {
    if (!branch.startsWith(OWNED_PREFIX)) throw new Error(`refusing to delete ${branch}: kspec owns only ${OWNED_PREFIX}* branches`);
    const heads = await this.remoteBranches();
    const head = heads.get(branch);
    if (!head) return false;
    await this.fetchBranch(branch);
    const base = await this.fetchBranch(baseBranch);
    if (!(await this.#ownedHistory(head, base).catch(() => false))) {
      this.#log.warn('not deleting branch with commits not made by kspec', { branch });
      return false;
    }
    try {
      const local = `refs/heads/${branch}`;
      await git.writeRef({ fs, gitdir: this.gitdir, ref: local, value: head, force: true });
      await git.push({ fs, gitdir: this.gitdir, ...this.#remoteOpts(), remote: 'origin', ref: local, remoteRef: local, delete: true, onPrePush: ({ remoteRef }) => remoteRef.oid === head });
      await git.deleteRef({ fs, gitdir: this.gitdir, ref: local }).catch(() => {});
    } catch (err) {
      throw this.#wrap(err, `deleting ${branch}`);
    }
    return true;
  }
}

export { ZERO as ZERO_SHA };
