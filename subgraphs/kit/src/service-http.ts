import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { Registry } from 'prom-client';

/**
 * What every Azora process serves besides its API, the router and each subgraph alike: `/health` (the process runs),
 * `/ready` (it can serve: its answer and body are the caller's), `/metrics` (Prometheus).
 */
export interface ServiceEndpoints {
  /** The body of `/health`, which always answers 200 while the process runs. */
  health: Record<string, unknown>;
  /** Whether the process can serve now, and the body `/ready` shows (200 when ready, 503 otherwise). */
  readiness: () => Promise<{ ready: boolean; body: Record<string, unknown> }>;
  registry: Registry;
}

/** Mounts `/health`, `/ready` and `/metrics` on the process's express app. */
export function mountServiceEndpoints(app: express.Express, endpoints: ServiceEndpoints): void {
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', ...endpoints.health });
  });
  app.get('/ready', async (_req, res) => {
    const { ready, body } = await endpoints.readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', ...body });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(endpoints.registry.contentType).send(await endpoints.registry.metrics());
  });
}

/**
 * Listens on `port` (0: a free one) and `host`, and says where a client on this machine reaches `/graphql`
 * (127.0.0.1 when listening on every address).
 */
export async function listen(httpServer: Server, port = 0, host = '127.0.0.1'): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolveListen, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolveListen());
  });
  const bound = (httpServer.address() as AddressInfo).port;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host;
  return { port: bound, url: `http://${reachable}:${bound}/graphql` };
}
