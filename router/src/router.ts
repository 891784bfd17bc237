import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { createLogger, maskError, operationsPlugin, REQUEST_ID_HEADER, requestIdFrom, requestScope, type Logger, type NodeEnv } from '@azora/kit';
import { subgraphsOf } from './compose';
import type { RouterContext } from './context';
import { SubgraphDataSource } from './data-source';
import { createRouterMetrics, type RouterMetrics } from './metrics';

export interface RouterOptions {
  supergraphSdl: string;
  /** Subgraph URL per name, overriding the routing URLs recorded in the supergraph. */
  subgraphUrls?: Record<string, string>;
  port?: number;
  host?: string;
  nodeEnv: NodeEnv;
  logger?: Logger;
  subgraphTimeoutMs?: number;
}

export interface RunningRouter {
  url: string;
  port: number;
  metrics: RouterMetrics;
  /** `/ready` turns 503, in-flight requests drain, then the server closes. Safe to call twice. */
  stop(): Promise<void>;
}

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Serves the supergraph at `/graphql` through @apollo/gateway, with `/health`, `/ready` and `/metrics`. */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const log = options.logger ?? createLogger('router');
  const subgraphs = subgraphsOf(options.supergraphSdl).map((s) => ({
    ...s,
    url: options.subgraphUrls?.[s.name] ?? s.url,
  }));
  const urlOf = new Map(subgraphs.map((s) => [s.name, s.url]));
  const timeoutMs = options.subgraphTimeoutMs ?? 10_000;
  let schemaLoaded = false;
  let stopping = false;
  const readiness = async () => {
    const checks = await Promise.all(subgraphs.map(async (s) => [s.name, await answers(s.url, 2_000)] as const));
    const down = checks.filter(([, ok]) => !ok).map(([name]) => name);
    return { ready: !stopping && schemaLoaded && down.length === 0, checks };
  };
  const metrics = createRouterMetrics(async () => (await readiness()).ready);

  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger: log,
    buildService: ({ name, url }) => new SubgraphDataSource(name, urlOf.get(name) ?? url!, metrics, timeoutMs),
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer: Server = createServer(app);
  const production = options.nodeEnv === 'production';
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    formatError: maskError,
    includeStacktraceInErrorResponses: false,
    introspection: !production,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      operationsPlugin<RouterContext>(metrics),
    ],
  });
  // Registered before start(): the gateway's first schema load happens inside it.
  gateway.onSchemaLoadOrUpdate(() => {
    schemaLoaded = true;
  });
  await apollo.start();

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'router' });
  });
  app.get('/ready', async (_req, res) => {
    const { ready, checks } = await readiness();
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      supergraphLoaded: schemaLoaded,
      stopping,
      subgraphs: Object.fromEntries(checks.map(([name, ok]) => [name, ok ? 'up' : 'down'])),
    });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(
    '/graphql',
    requestScope('router', log),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdFrom(req.headers);
        res.setHeader(REQUEST_ID_HEADER, requestId);
        return { requestId, log: log.child({ requestId }) };
      },
    }),
  );

  await new Promise<void>((resolveListen, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/graphql`;
  log.info({ url, subgraphs: subgraphs.map((s) => s.name) }, 'router listening');

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    metrics,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        await apollo.stop();
        log.info('router stopped');
      })();
      return stopped;
    },
  };
}
