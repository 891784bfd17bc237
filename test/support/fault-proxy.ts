import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode =
  /** Forwards, after `delayMs`; when `until` is given, holds GraphQL requests (not health checks) until it settles. */
  | { kind: 'pass'; delayMs?: number; until?: Promise<unknown> }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  /** Answers with this HTTP status and a non-GraphQL body. */
  | { kind: 'status'; status: number; times?: number };

export interface FaultProxy {
  url: string;
  /** Requests seen per path since start, in order. */
  requests: { path: string; body: string }[];
  mode: FaultMode;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real subgraph that can delay, hang or fail on command, for the router's resilience
 * tests. It forwards `/graphql` and `/ready` alike, so health checks see the same fault as queries.
 */
export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = { url: '', requests: [], mode: { kind: 'pass' }, close: async () => undefined };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    proxy.requests.push({ path: req.url ?? '', body });
    const mode = proxy.mode;
    if (mode.kind === 'hang') return;
    if (mode.kind === 'status' && (mode.times === undefined || mode.times-- > 0)) {
      res.writeHead(mode.status, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    if (mode.kind === 'pass' && mode.delayMs) await new Promise((r) => setTimeout(r, mode.delayMs));
    if (mode.kind === 'pass' && mode.until && !req.url?.startsWith('/ready')) await mode.until;
    try {
      const upstream = await fetch(new URL(req.url ?? '/', target.origin), {
        method: req.method,
        // Everything the router sent (the signed identity assertion included), less what is per connection.
        headers: Object.fromEntries(
          Object.entries(req.headers).flatMap(([name, value]) =>
            ['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding'].includes(name) ||
            value === undefined
              ? []
              : [[name, Array.isArray(value) ? value.join(', ') : value]],
          ),
        ),
        body: req.method === 'GET' ? undefined : body,
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.destroy();
    }
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
