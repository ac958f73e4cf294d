import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request, type ClientRequest } from 'node:http';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/log.ts';
import { parseListen, startHttpServer, type HttpServerOptions, type PushEvent } from '../../src/server/http-server.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { signGitHubBody } from '../../src/server/webhook.ts';
import { PassScheduler } from '../../src/reconcile/scheduler.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    if (body !== undefined) r.write(body);
    r.end();
  });
}

async function withServer(
  opts: Partial<HttpServerOptions>,
  fn: (port: number, ctx: { pushes: PushEvent[]; logs: string[]; registry: Registry }) => Promise<void>,
): Promise<void> {
  const pushes: PushEvent[] = [];
  const logs: string[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const server = await startHttpServer({
    listen: '127.0.0.1:0',
    metricsRegistry: metrics.registry,
    isReady: () => true,
    onPush: (e) => pushes.push(e),
    logger: createLogger({ level: 'debug', sink: (l) => logs.push(l) }),
    ...opts,
  });
  try {
    await fn(server.port, { pushes, logs, registry: metrics.registry });
  } finally {
    await server.close();
  }
}

describe('parseListen', () => {
  const ok: Array<[string, string | undefined, number]> = [
    [':8080', undefined, 8080],
    ['0.0.0.0:9090', '0.0.0.0', 9090],
    ['localhost:80', 'localhost', 80],
    ['[::1]:8080', '::1', 8080],
    ['8081', undefined, 8081],
    [':0', undefined, 0],
  ];
  for (const [input, host, port] of ok) {
    test(`parses ${input}`, () => assert.deepEqual(parseListen(input), { host, port }));
  }
  for (const bad of ['', 'nohost', ':http', ':70000', 'host:']) {
    test(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseListen(bad)));
  }
});

describe('http server', () => {
  test('/metrics serves the registry in Prometheus text format', async () => {
    await withServer({}, async (port, { registry }) => {
      const g = registry.getSingleMetric('kspec_compliance_score') as import('prom-client').Gauge<'cluster' | 'spec'>;
      g.set({ cluster: 'prod', spec: 'baseline' }, 87.5);
      const r = await call(port, 'GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.match(r.body, /# TYPE kspec_compliance_score gauge/);
      assert.match(r.body, /kspec_compliance_score\{cluster="prod",spec="baseline"\} 87\.5/);
      assert.match(r.body, /# TYPE kspec_reconciliation_duration_seconds histogram/);
      const head = await call(port, 'HEAD', '/metrics');
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
    });
  });

  test('/healthz answers 200, or 503 when isLive says no', async () => {
    await withServer({}, async (port) => {
      assert.equal((await call(port, 'GET', '/healthz')).status, 200);
    });
    await withServer({ isLive: () => false }, async (port) => {
      assert.equal((await call(port, 'GET', '/healthz')).status, 503);
    });
  });

  test('/readyz follows isReady: 503 until ready, then 200; a throwing probe is not ready', async () => {
    let ready = false;
    await withServer({ isReady: () => ready }, async (port) => {
      assert.equal((await call(port, 'GET', '/readyz')).status, 503);
      ready = true;
      assert.equal((await call(port, 'GET', '/readyz')).status, 200);
    });
    await withServer({ isReady: () => { throw new Error('x'); } }, async (port) => {
      assert.equal((await call(port, 'GET', '/readyz')).status, 503);
    });
  });

  test('unknown paths 404, wrong methods 405', async () => {
    await withServer({}, async (port) => {
      assert.equal((await call(port, 'GET', '/nope')).status, 404);
      const r = await call(port, 'POST', '/metrics', '');
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET, HEAD');
      assert.equal((await call(port, 'GET', '/webhook')).status, 405);
    });
  });

  test('POST /webhook without configured secrets: 404, no trigger', async () => {
    await withServer({ webhook: undefined }, async (port, { pushes }) => {
      const r = await call(port, 'POST', '/webhook', '{}', { 'X-GitHub-Event': 'push' });
      assert.equal(r.status, 404);
      assert.equal(pushes.length, 0);
    });
  });

  test('POST /webhook: signed GitHub push triggers onPush; bad signature 401; ping 200', async () => {
    const secret = 's3cret-for-github';
    await withServer({ webhook: { githubSecret: secret } }, async (port, { pushes, registry }) => {
      const body = JSON.stringify({ ref: 'refs/heads/main', after: 'f'.repeat(40), repository: { full_name: 'acme/specs' } });
      const ok = await call(port, 'POST', '/webhook', body, {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-Hub-Signature-256': signGitHubBody(secret, body),
      });
      assert.equal(ok.status, 202);
      assert.equal(pushes.length, 1);
      assert.equal(pushes[0].ref, 'refs/heads/main');
      assert.equal(pushes[0].repository, 'acme/specs');

      const bad = await call(port, 'POST', '/webhook', body, {
        'X-GitHub-Event': 'push',
        'X-Hub-Signature-256': signGitHubBody('wrong', body),
      });
      assert.equal(bad.status, 401);

      const pingBody = JSON.stringify({ zen: 'Design for failure.' });
      const ping = await call(port, 'POST', '/webhook', pingBody, {
        'X-GitHub-Event': 'ping',
        'X-Hub-Signature-256': signGitHubBody(secret, pingBody),
      });
      assert.equal(ping.status, 200);
      assert.equal(pushes.length, 1, 'ping does not trigger');

      const metrics = await registry.metrics();
      assert.match(metrics, /kspec_webhook_requests_total\{outcome="accepted"\} 1/);
      assert.match(metrics, /kspec_webhook_requests_total\{outcome="unauthorized"\} 1/);
    });
  });

  test('POST /webhook: generic token via header or query; token never logged', async () => {
    const token = 'trigger-token-value-123';
    await withServer({ webhook: { token } }, async (port, { pushes, logs }) => {
      assert.equal((await call(port, 'POST', '/webhook', '', { Authorization: `Bearer ${token}` })).status, 202);
      assert.equal((await call(port, 'POST', `/webhook?token=${token}`, '')).status, 202);
      assert.equal((await call(port, 'POST', '/webhook?token=wrong', '')).status, 401);
      assert.equal((await call(port, 'POST', '/webhook', '', { Authorization: 'Bearer wrong' })).status, 401);
      assert.equal(pushes.length, 2);
      assert.ok(logs.length > 0);
      assert.ok(!logs.join('').includes(token));
    });
  });

  test('POST /webhook: bodies over the limit get 413', async () => {
    await withServer({ webhook: { token: 'tok-tok-tok', maxBodyBytes: 1024 } }, async (port, { pushes }) => {
      const big = Buffer.alloc(4096, 'a');
      const r = await call(port, 'POST', '/webhook', big, { Authorization: 'Bearer tok-tok-tok' });
      assert.equal(r.status, 413);
      assert.equal(pushes.length, 0);
    });
  });

  test('POST /webhook: chunked bodies over the limit get 413 too', async () => {
    await withServer({ webhook: { token: 'tok-tok-tok', maxBodyBytes: 1024 } }, async (port, { pushes }) => {
      const r = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', path: '/webhook', headers: { Authorization: 'Bearer tok-tok-tok', 'Transfer-Encoding': 'chunked' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        for (let i = 0; i < 8; i++) req.write(Buffer.alloc(512, 'b'));
        req.end();
      });
      assert.equal(r, 413);
      assert.equal(pushes.length, 0);
    });
  });

  test('an onPush that throws does not break the response', async () => {
    await withServer({ webhook: { token: 'tok-tok-tok' }, onPush: () => { throw new Error('scheduler down'); } }, async (port) => {
      assert.equal((await call(port, 'POST', '/webhook', '', { Authorization: 'Bearer tok-tok-tok' })).status, 202);
    });
  });

  test('close() resolves and frees the port', async () => {
    const s = await startHttpServer({ listen: '127.0.0.1:0', metricsRegistry: new Registry(), isReady: () => true });
    await call(s.port, 'GET', '/healthz');
    await s.close();
    await assert.rejects(call(s.port, 'GET', '/healthz'));
  });

  test('a flood of slow webhook requests: past the concurrency cap each gets 429 before its body is read', async () => {
    const token = 'tok-tok-tok';
    await withServer({ webhook: { token, maxConcurrentRequests: 3 } }, async (port, { pushes, registry }) => {
      // Three requests that send their headers and part of a body, then hold on.
      const held: Array<{ req: ClientRequest; status: Promise<number> }> = [];
      for (let i = 0; i < 3; i++) {
        let req!: ClientRequest;
        const status = new Promise<number>((resolve, reject) => {
          req = request({ host: '127.0.0.1', port, method: 'POST', path: '/webhook', headers: { Authorization: `Bearer ${token}`, 'Transfer-Encoding': 'chunked' } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
        });
        req.write('{"ref":');
        held.push({ req, status });
      }
      // Wait until the server is reading all three (the 4th is refused only once they count).
      let refused: Reply | undefined;
      while (!refused) {
        const r = await call(port, 'POST', '/webhook', '{}', { Authorization: `Bearer ${token}` });
        if (r.status === 429) refused = r;
        else assert.equal(r.status, 202);
      }
      assert.equal(refused.headers['retry-after'], '1');
      const before = pushes.length;
      for (const { req } of held) req.end('"refs/heads/main"}');
      assert.deepEqual(await Promise.all(held.map((h) => h.status)), [202, 202, 202], 'the held requests complete once their bodies arrive');
      assert.equal(pushes.length, before + 3);
      assert.equal((await call(port, 'POST', '/webhook', '{}', { Authorization: `Bearer ${token}` })).status, 202, 'capacity is given back');
      assert.match(await registry.metrics(), /kspec_webhook_requests_total\{outcome="too_many"\} [1-9]/);
    });
  });

  test('no pass storm: 300 signed pushes and 300 forged ones during a pass queue exactly one more pass', async () => {
    const secret = 'storm-secret';
    const passes: string[][] = [];
    let release!: () => void;
    const firstPassHeld = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const firstPassStarted = new Promise<void>((resolve) => (started = resolve));
    const scheduler = new PassScheduler(async (reasons) => {
      passes.push(reasons);
      if (passes.length === 1) {
        started();
        await firstPassHeld;
      }
    });
    const trigger = (reason: string) => void scheduler.trigger(reason);
    await withServer({ webhook: { githubSecret: secret }, onPush: (e) => trigger(`push ${e.ref} ${e.after}`) }, async (port) => {
      trigger('schedule');
      await firstPassStarted;
      const statuses: number[] = [];
      for (let i = 0; i < 300; i++) {
        const body = JSON.stringify({ ref: 'refs/heads/main', after: i.toString(16).padStart(40, '0').replace(/^0/, 'a') });
        const headers = { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push' };
        const [good, forged] = await Promise.all([
          call(port, 'POST', '/webhook', body, { ...headers, 'X-Hub-Signature-256': signGitHubBody(secret, body) }),
          call(port, 'POST', '/webhook', body, { ...headers, 'X-Hub-Signature-256': signGitHubBody('forged', body) }),
        ]);
        statuses.push(good.status, forged.status);
      }
      assert.equal(statuses.filter((s) => s === 202).length, 300);
      assert.equal(statuses.filter((s) => s === 401).length, 300);
      release();
      await scheduler.idle();
    });
    assert.equal(passes.length, 2, 'one pass for the whole flood');
    assert.ok(passes[1].length <= PassScheduler.MAX_REASONS + 1, `the queued pass keeps a bounded list of reasons (${passes[1].length})`);
    assert.match(passes[1].at(-1)!, /^280 more triggers$/);
  });

  test('GitHub form-encoded deliveries and curl -d bodies are accepted as sent', async () => {
    const secret = 'form-secret';
    const token = 'curl-token-123';
    await withServer({ webhook: { githubSecret: secret, token, servedRef: () => 'main' } }, async (port, { pushes }) => {
      // GitHub with content type application/x-www-form-urlencoded: payload=<url-encoded JSON>, signed as sent.
      const form = 'payload=' + encodeURIComponent(JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40), repository: { full_name: 'acme/specs' } }));
      const r = await call(port, 'POST', '/webhook', form, { 'Content-Type': 'application/x-www-form-urlencoded', 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': signGitHubBody(secret, form) });
      assert.equal(r.status, 202, r.body);
      assert.equal(pushes.at(-1)?.after, 'c'.repeat(40));

      // The real curl, as a user would type it from the docs.
      const curl = (...args: string[]) => promisify(execFile)('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args, `http://127.0.0.1:${port}/webhook`]);
      const json = await curl('-H', `Authorization: Bearer ${token}`, '-d', '{"ref":"refs/heads/main","after":"dddd"}');
      assert.equal(json.stdout, '202');
      assert.equal(pushes.at(-1)?.after, 'dddd');
      const fields = await curl('-H', `Authorization: Bearer ${token}`, '-d', 'ref=refs/heads/main', '-d', 'after=eeee');
      assert.equal(fields.stdout, '202');
      assert.equal(pushes.at(-1)?.after, 'eeee');
      const count = pushes.length;
      const otherBranch = await curl('-H', `Authorization: Bearer ${token}`, '-d', '{"ref":"refs/heads/feature"}');
      assert.equal(otherBranch.stdout, '202');
      assert.equal(pushes.length, count, 'a push to a branch kspec does not serve triggers nothing');
    });
  });
});
