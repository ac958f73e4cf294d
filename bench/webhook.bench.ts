// Webhook floods (issue 9): what the endpoint answers and what it costs in memory when 200
// senders each push a 2 MiB body at once, when 2,000 forged signatures arrive, and how many passes
// 2,000 valid pushes during one pass queue. Senders and server share this process, so the RSS
// growth printed is an upper bound for the server (200 × 2 MiB is 400 MiB offered).
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startHttpServer } from '../src/server/http-server.ts';
import { createMetrics } from '../src/server/metrics.ts';
import { signGitHubBody } from '../src/server/webhook.ts';
import { PassScheduler } from '../src/reconcile/scheduler.ts';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const SECRET = 'bench-secret';

let passes = 0;
let release!: () => void;
const held = new Promise<void>((resolve) => (release = resolve));
const scheduler = new PassScheduler(async () => {
  passes++;
  if (passes === 1) await held;
});
const server = await startHttpServer({
  listen: '127.0.0.1:0',
  metricsRegistry: createMetrics({ defaultMetrics: false }).registry,
  isReady: () => true,
  onPush: (e) => void scheduler.trigger(`push ${e.after}`),
  webhook: { githubSecret: SECRET },
});

function post(body: Buffer | string, signature: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/webhook', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(-1)); // the server closed a refused request before its body was sent
    req.end(body);
  });
}

async function flood(label: string, count: number, make: (i: number) => [Buffer | string, string]): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const start = performance.now();
  const statuses = await Promise.all(Array.from({ length: count }, (_, i) => post(...make(i))));
  const ms = performance.now() - start;
  clearInterval(sampler);
  const counted = new Map<number, number>();
  for (const s of statuses) counted.set(s, (counted.get(s) ?? 0) + 1);
  const answers = [...counted].sort(([a], [b]) => a - b).map(([s, n]) => `${n}×${s === -1 ? 'closed' : s}`).join(' ');
  console.log(`${label.padEnd(52)} ${ms.toFixed(0).padStart(6)} ms   rss +${mb(peak - rssBefore).padStart(8)}   ${answers}`);
}

void scheduler.trigger('schedule'); // a pass is running (held) during the floods
const big = Buffer.alloc(2 * 1024 * 1024 - 64, 'a');
const bigBody = Buffer.concat([Buffer.from('{"ref":"refs/heads/main","pad":"'), big, Buffer.from('"}')]);
const bigSig = signGitHubBody(SECRET, bigBody);
await flood('200 senders × 2 MiB signed bodies at once', 200, () => [bigBody, bigSig]);
await flood('2,000 forged signatures', 2_000, (i) => {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: String(i) });
  return [body, signGitHubBody('forged', body)];
});
await flood('2,000 valid pushes during one pass', 2_000, (i) => {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: i.toString(16).padStart(40, 'a') });
  return [body, signGitHubBody(SECRET, body)];
});
release();
await scheduler.idle();
console.log(`passes run: ${passes} (the held one, then one for everything that arrived meanwhile)`);
await server.close();
