// A small HTTP proxy to put in front of a real server (the git http-backend server, the GitHub
// fake) so that a test can make it fail the way networks and servers do:
//
//   pass     forward every request unchanged
//   status   answer every request with this HTTP status (500, 503, …) and an error page
//   reset    accept the connection, then close it without a word (a crashed proxy)
//   hang     accept the connection and the request, and never answer (a paused server)
//   down()   stop listening: connections are refused; up() listens again on the same port
//
// Only requests are counted and recorded, nothing is logged.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type FaultMode = { kind: 'pass' } | { kind: 'status'; status: number } | { kind: 'reset' } | { kind: 'hang' };

export interface FaultProxy {
  /** Base URL of the proxy, to use in place of the target's. */
  url: string;
  mode: FaultMode;
  /** Requests that met each kind of fault, and that were passed through. */
  counts: Record<FaultMode['kind'], number>;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  const counts: FaultProxy['counts'] = { pass: 0, status: 0, reset: 0, hang: 0 };
  const proxy: Partial<FaultProxy> & { mode: FaultMode } = { mode: { kind: 'pass' } };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const mode = proxy.mode;
    counts[mode.kind]++;
    if (mode.kind === 'reset') return void req.socket.destroy();
    if (mode.kind === 'hang') return void req.resume();
    if (mode.kind === 'status') {
      req.resume();
      res.writeHead(mode.status, { 'content-type': 'text/html' });
      return void res.end(`<html><body>${mode.status} error from the proxy</body></html>\n`);
    }
    const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  let server: Server = createServer(handle);
  const track = (s: Server) => s.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    counts,
    down: close,
    async up() {
      server = createServer(handle);
      track(server);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    stop: close,
  }) as FaultProxy;
}
