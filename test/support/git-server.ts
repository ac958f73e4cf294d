// A real Git smart-HTTP server for tests: Debian's `git http-backend` (CGI) behind a small
// node:http server on 127.0.0.1. Clone, fetch and push work with any Git client (the git CLI,
// isomorphic-git); every request needs HTTP basic credentials whose password is the token, and
// a request without them gets 401 + WWW-Authenticate so clients retry with credentials.
//
// Test-side changes (a "human" commit) are made with the real git CLI through plumbing on the
// bare repository (temporary index, commit-tree, compare-and-swap update-ref), so they are
// ordinary commits that any client fetches.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const HTTP_BACKEND = process.env.GIT_HTTP_BACKEND ?? '/usr/lib/git-core/git-http-backend';

export interface GitServerOptions {
  /** Folder holding the bare repositories (`<root>/<name>.git`). */
  root: string;
  /** Required user name; default "kspec". */
  username?: string;
  /** Required password; default a random token. */
  token?: string;
  /**
   * Runs when an authorized push (git-receive-pack POST) arrives, before Git sees it: a test can
   * land a commit between a client's fetch and its push. Can also be set later on the server.
   */
  beforeReceivePack?: (repo: string) => Promise<void>;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. /specs.git/info/refs */
  path: string;
  /** git-upload-pack or git-receive-pack when the request names one. */
  service?: string;
  authorized: boolean;
  status: number;
}

export interface Author {
  name: string;
  email: string;
}

export interface LogEntry {
  sha: string;
  parents: string[];
  author: Author;
  committer: Author;
  subject: string;
  message: string;
}

export interface GitServer {
  /** Base URL, http://127.0.0.1:<port> */
  url: string;
  username: string;
  token: string;
  /** URL to clone: <url>/<name>.git (no credentials in it). */
  repoUrl(name: string): string;
  /** Creates the bare repository with an initial commit of `files` on branch main. */
  createRepo(name: string, files: Record<string, string>, message?: string): Promise<void>;
  /** Commits on `branch` (default main): strings write files, null deletes them. Returns the sha. */
  commit(
    name: string,
    files: Record<string, string | null>,
    message: string,
    opts?: { branch?: string; author?: Author },
  ): Promise<string>;
  /**
   * Points `branch` at `sha` whatever it held (as `git push --force` does), or deletes it (null).
   */
  setBranch(name: string, branch: string, sha: string | null): Promise<void>;
  /** Sha of refs/heads/<branch> (default main); throws when the branch does not exist. */
  headSha(name: string, branch?: string): Promise<string>;
  /** Branch name -> sha. */
  branches(name: string): Promise<Record<string, string>>;
  /** File content at the tip of `branch`, or undefined when the file (or branch) is missing. */
  readFile(name: string, branch: string, filePath: string): Promise<string | undefined>;
  /** Commits reachable from `branch`, newest first. */
  log(name: string, branch?: string): Promise<LogEntry[]>;
  /** The bare repository's folder. */
  repoPath(name: string): string;
  /** Every HTTP request served, in order. */
  requests: RecordedRequest[];
  beforeReceivePack?: (repo: string) => Promise<void>;
  stop(): Promise<void>;
}

export const HUMAN: Author = { name: 'Test Human', email: 'human@example.test' };

interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code: code ?? 1 }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Environment for test-side git commands: no user or system configuration leaks in. */
function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LANG: 'C',
    ...extra,
  };
  return env;
}

async function git(gitDir: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string } = {}): Promise<string> {
  const res = await run('git', [`--git-dir=${gitDir}`, ...args], { env: gitEnv(opts.env), input: opts.input });
  if (res.code !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr.trim()}`);
  return res.stdout.toString('utf8');
}

function validRepoName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..') || name.endsWith('.git')) {
    throw new Error(`invalid repository name ${JSON.stringify(name)}`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function checkAuth(header: string | undefined, username: string, token: string): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return false;
  return decoded.slice(0, i) === username && decoded.slice(i + 1) === token;
}

export async function startGitServer(opts: GitServerOptions): Promise<GitServer> {
  const root = path.resolve(opts.root);
  await mkdir(root, { recursive: true });
  const username = opts.username ?? 'kspec';
  const token = opts.token ?? randomBytes(18).toString('base64url');
  const requests: RecordedRequest[] = [];
  let hook = opts.beforeReceivePack;
  const repoPath = (name: string) => {
    validRepoName(name);
    return path.join(root, `${name}.git`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`git server error: ${(err as Error).message}\n`);
      } else {
        res.destroy(err as Error);
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const service =
      url.searchParams.get('service') ??
      (url.pathname.endsWith('/git-upload-pack')
        ? 'git-upload-pack'
        : url.pathname.endsWith('/git-receive-pack')
          ? 'git-receive-pack'
          : undefined);
    const authorized = checkAuth(req.headers.authorization, username, token);
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, service, authorized, status: 0 };
    requests.push(record);
    if (!authorized) {
      await readBody(req);
      record.status = 401;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="kspec-test-git"', 'content-type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    const body = await readBody(req);
    if (req.method === 'POST' && service === 'git-receive-pack' && hook) {
      const repo = url.pathname.replace(/^\//, '').replace(/\.git\/git-receive-pack$/, '');
      await hook(repo);
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: 'true',
      HOME: tmpdir(),
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REMOTE_USER: username,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: String(body.length),
      SERVER_PROTOCOL: 'HTTP/1.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
    };
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);

    const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => {});
    child.stdin.end(body);
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      let headersDone = false;
      child.on('error', reject);
      child.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) {
          res.write(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        let end = head.indexOf('\r\n\r\n');
        let sepLen = 4;
        if (end < 0) {
          end = head.indexOf('\n\n');
          sepLen = 2;
        }
        if (end < 0) return;
        headersDone = true;
        let status = 200;
        const headers: Record<string, string> = {};
        for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i < 0) continue;
          const key = line.slice(0, i).trim();
          const value = line.slice(i + 1).trim();
          if (key.toLowerCase() === 'status') status = parseInt(value, 10) || 500;
          else headers[key] = value;
        }
        record.status = status;
        res.writeHead(status, headers);
        const rest = head.subarray(end + sepLen);
        if (rest.length) res.write(rest);
      });
      child.on('close', (code) => {
        if (!headersDone) {
          record.status = 500;
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`git http-backend failed (${code}): ${stderr}`);
        } else {
          res.end();
        }
        resolve();
      });
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;

  async function commitFiles(
    name: string,
    files: Record<string, string | null>,
    message: string,
    branch: string,
    author: Author,
    allowUnborn: boolean,
  ): Promise<string> {
    const dir = repoPath(name);
    const ref = `refs/heads/${branch}`;
    const tmp = await mkdtemp(path.join(tmpdir(), 'kspec-git-index-'));
    try {
      const indexEnv = { GIT_INDEX_FILE: path.join(tmp, 'index') };
      let parent = '';
      try {
        parent = (await git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
      } catch {
        if (!allowUnborn) throw new Error(`${name}: branch ${branch} does not exist`);
      }
      if (parent) await git(dir, ['read-tree', parent], { env: indexEnv });
      // One --index-info batch: "<mode> <sha>\t<path>" adds or replaces, mode 0 removes.
      const lines: string[] = [];
      for (const [file, content] of Object.entries(files)) {
        const rel = file.replace(/^\/+/, '');
        if (!rel || rel.includes('\n') || rel.includes('\t')) throw new Error(`invalid path ${JSON.stringify(file)}`);
        if (content === null) {
          lines.push(`0 ${'0'.repeat(40)}\t${rel}`);
        } else {
          const blob = (await git(dir, ['hash-object', '-w', '--stdin'], { input: content })).trim();
          lines.push(`100644 ${blob}\t${rel}`);
        }
      }
      await git(dir, ['update-index', '--index-info'], { env: indexEnv, input: lines.join('\n') + '\n' });
      const tree = (await git(dir, ['write-tree'], { env: indexEnv })).trim();
      const who = {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email,
      };
      const sha = (
        await git(dir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], { env: who, input: message })
      ).trim();
      // Compare-and-swap: fails if someone (a push) moved the branch in between.
      await git(dir, ['update-ref', '-m', `commit: ${message.split('\n')[0]}`, ref, sha, parent || '0'.repeat(40)]);
      return sha;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  const api: GitServer = {
    url,
    username,
    token,
    requests,
    repoUrl: (name) => {
      validRepoName(name);
      return `${url}/${name}.git`;
    },
    repoPath,
    async createRepo(name, files, message = 'Initial commit') {
      const dir = repoPath(name);
      await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir], { env: gitEnv() }).then((r) => {
        if (r.code !== 0) throw new Error(`git init: ${r.stderr}`);
      });
      await commitFiles(name, files, message, 'main', HUMAN, true);
    },
    commit: (name, files, message, o = {}) => commitFiles(name, files, message, o.branch ?? 'main', o.author ?? HUMAN, false),
    async setBranch(name, branch, sha) {
      const ref = `refs/heads/${branch}`;
      await git(repoPath(name), sha === null ? ['update-ref', '-d', ref] : ['update-ref', '-m', 'forced', ref, sha]);
    },
    async headSha(name, branch = 'main') {
      return (await git(repoPath(name), ['rev-parse', '--verify', `refs/heads/${branch}^{commit}`])).trim();
    },
    async branches(name) {
      const out = await git(repoPath(name), ['for-each-ref', '--format=%(refname:strip=2) %(objectname)', 'refs/heads/']);
      const result: Record<string, string> = {};
      for (const line of out.split('\n').filter(Boolean)) {
        const [b, sha] = line.split(' ');
        result[b] = sha;
      }
      return result;
    },
    async readFile(name, branch, filePath) {
      const res = await run('git', [`--git-dir=${repoPath(name)}`, 'cat-file', 'blob', `refs/heads/${branch}:${filePath.replace(/^\/+/, '')}`], {
        env: gitEnv(),
      });
      return res.code === 0 ? res.stdout.toString('utf8') : undefined;
    },
    async log(name, branch = 'main') {
      const out = await git(repoPath(name), [
        'log',
        '--format=%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%s%x00%B%x1e',
        `refs/heads/${branch}`,
      ]);
      return out
        .split('\x1e')
        .map((s) => s.replace(/^\n/, ''))
        .filter(Boolean)
        .map((rec) => {
          const [sha, parents, an, ae, cn, ce, subject, body] = rec.split('\x00');
          return {
            sha,
            parents: parents ? parents.split(' ') : [],
            author: { name: an, email: ae },
            committer: { name: cn, email: ce },
            subject,
            message: body.replace(/\n+$/, ''),
          };
        });
    },
    get beforeReceivePack() {
      return hook;
    },
    set beforeReceivePack(fn) {
      hook = fn;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return api;
}
