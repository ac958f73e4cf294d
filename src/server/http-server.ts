// The operator's HTTP endpoint: /metrics, /healthz, /readyz and POST /webhook.
//
//   const server = await startHttpServer({ listen: ':8080', metricsRegistry: metrics.registry,
//     isReady: () => synced && !shuttingDown, onPush: (e) => scheduler.trigger(e),
//     webhook: { githubSecret: env.KSPEC_WEBHOOK_SECRET, token: env.KSPEC_WEBHOOK_TOKEN } });
//   …
//   await server.close();
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Counter, Registry } from 'prom-client';
import { nullLogger, type Logger } from '../log.ts';
import { redactSecrets } from '../redact.ts';
import {
  BodyTooLargeError,
  DEFAULT_MAX_CONCURRENT_WEBHOOKS,
  DEFAULT_MAX_WEBHOOK_BODY,
  handleWebhook,
  isWebhookConfigured,
  readBody,
  type PushEvent,
  type WebhookConfig,
} from './webhook.ts';

export type { PushEvent, WebhookConfig } from './webhook.ts';

export interface HttpServerOptions {
  /** ':8080' (all interfaces), 'host:port', '[::1]:8080' or '8080'. Port 0 picks a free port. */
  listen: string;
  metricsRegistry: Registry;
  /** /readyz answers 200 only while this returns true (503 before the first sync and during shutdown). */
  isReady(): boolean;
  /** /healthz answers 200 while this returns true (default: always). */
  isLive?(): boolean;
  /** Called for each verified push; must not throw (errors are logged). */
  onPush?(event: PushEvent): void;
  /** Secrets for POST /webhook. Without any, /webhook answers 404. */
  webhook?: WebhookConfig;
  logger?: Logger;
}

export interface RunningHttpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  host: string;
  /** Stops accepting connections, ends idle keep-alive connections, and resolves when closed. */
  close(): Promise<void>;
}

/** Parses the listen address. Throws on garbage. */
export function parseListen(listen: string): { host: string | undefined; port: number } {
  const s = listen.trim();
  let host: string | undefined;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else if (/^\d+$/.test(s)) {
    portText = s;
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0) throw new Error(`invalid listen address ${JSON.stringify(listen)}: expected ':port' or 'host:port'`);
    host = s.slice(0, i) || undefined;
    portText = s.slice(i + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new Error(`invalid port in listen address ${JSON.stringify(listen)}`);
  }
  return { host, port };
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...extra,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body) + '\n', 'application/json', extra);
}

function checkProbe(fn: (() => boolean) | undefined, fallback: boolean): boolean {
  if (!fn) return fallback;
  try {
    return fn();
  } catch {
    return false;
  }
}

function webhookCounter(registry: Registry): Counter<'outcome'> | undefined {
  const m = registry.getSingleMetric('kspec_webhook_requests_total');
  return m && 'inc' in m && !('set' in m) ? (m as Counter<'outcome'>) : undefined;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { host, port } = parseListen(options.listen);
  const log = (options.logger ?? nullLogger).child({ component: 'http' });
  const maxBody = options.webhook?.maxBodyBytes ?? DEFAULT_MAX_WEBHOOK_BODY;
  const maxConcurrent = options.webhook?.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_WEBHOOKS;
  let webhooksInFlight = 0;

  const countWebhook = (outcome: string) => {
    try {
      webhookCounter(options.metricsRegistry)?.inc({ outcome });
    } catch {
      // metrics must never break request handling
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Never log the query string: it may hold ?token=.
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname;

    if (path === '/metrics' || path === '/healthz' || path === '/readyz' || path === '/livez') {
      if (method !== 'GET' && method !== 'HEAD') {
        send(res, 405, 'method not allowed\n', undefined, { Allow: 'GET, HEAD' });
        return;
      }
      if (path === '/metrics') {
        try {
          // Label values come from names in the repository: a secret must not ride out in one.
          const text = redactSecrets(await options.metricsRegistry.metrics());
          send(res, 200, text, options.metricsRegistry.contentType);
        } catch (err) {
          log.error('collecting metrics failed', { err });
          send(res, 500, 'collecting metrics failed\n');
        }
        return;
      }
      if (path === '/readyz') {
        const ready = checkProbe(() => options.isReady(), false);
        send(res, ready ? 200 : 503, ready ? 'ok\n' : 'not ready\n');
        return;
      }
      const live = checkProbe(options.isLive ? () => options.isLive!() : undefined, true);
      send(res, live ? 200 : 503, live ? 'ok\n' : 'unhealthy\n');
      return;
    }

    if (path === '/webhook') {
      if (method !== 'POST') {
        send(res, 405, 'method not allowed\n', undefined, { Allow: 'POST' });
        return;
      }
      if (!isWebhookConfigured(options.webhook)) {
        countWebhook('not_configured');
        req.resume();
        sendJson(res, 404, { error: 'webhook not configured' });
        return;
      }
      // A flood is turned away before its bodies are read: memory stays within maxConcurrent bodies.
      if (webhooksInFlight >= maxConcurrent) {
        countWebhook('too_many');
        log.warn('webhook refused: too many requests at once', { limit: maxConcurrent, remote: req.socket.remoteAddress });
        sendJson(res, 429, { error: `more than ${maxConcurrent} webhook requests at once` }, { 'Retry-After': '1', Connection: 'close' });
        return;
      }
      webhooksInFlight++;
      let body: Buffer;
      try {
        body = await readBody(req, maxBody);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          countWebhook('too_large');
          log.warn('webhook body too large', { limit: maxBody, remote: req.socket.remoteAddress });
          sendJson(res, 413, { error: err.message }, { Connection: 'close' });
          return;
        }
        throw err;
      } finally {
        webhooksInFlight--;
      }
      const result = handleWebhook(options.webhook, { headers: req.headers, query: url.searchParams, body });
      const outcome =
        result.status === 401 ? 'unauthorized' : result.status === 400 ? 'invalid' : result.push ? 'accepted' : 'ignored';
      countWebhook(outcome);
      if (result.status === 401) {
        log.warn('webhook rejected: bad signature or token', { remote: req.socket.remoteAddress });
      } else if (result.push) {
        log.info('webhook push received', { ...result.push });
        if (options.onPush) {
          try {
            options.onPush(result.push);
          } catch (err) {
            log.error('webhook onPush failed', { err });
          }
        }
      } else {
        log.debug('webhook answered', { status: result.status, ...result.body });
      }
      sendJson(res, result.status, result.body);
      return;
    }

    send(res, 404, 'not found\n');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('http request failed', { err });
      send(res, 500, 'internal error\n');
    });
  });
  // Bound the time a slow client can hold a connection.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error('http server error', { err }));
  const addr = server.address() as AddressInfo;
  log.info('http server listening', { address: addr.address, port: addr.port });

  let closing: Promise<void> | undefined;
  return {
    port: addr.port,
    host: addr.address,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests still running after a short while are cut off.
        const t = setTimeout(() => server.closeAllConnections(), 2_000);
        t.unref();
      });
      return closing;
    },
  };
}
