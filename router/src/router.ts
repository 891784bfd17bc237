import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, type SupergraphSdlHook } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { createLogger, REQUEST_ID_HEADER, requestIdFrom, type Logger, type NodeEnv } from '@azora/kit';
import { subgraphsOf } from './compose';
import type { RouterContext } from './context';
import { SubgraphDataSource } from './data-source';
import { routerFormatError } from './format-error';
import { createProtection } from './limits';
import { createRouterMetrics, type RouterMetrics } from './metrics';
import { SubgraphPool } from './resilience/subgraph-pool';
import { parseRouterSettings, type RouterSettings } from './settings';

export interface RouterOptions {
  /** The composed supergraph, or a hook that loads it and hands the gateway updates (hot reload). */
  supergraphSdl: string | SupergraphSdlHook;
  /** Subgraph URL (or replica URLs) per name, overriding the routing URLs recorded in the supergraph. */
  subgraphUrls?: Record<string, string | string[]>;
  port?: number;
  host?: string;
  nodeEnv: NodeEnv;
  logger?: Logger;
  /** Limits, rate limiting, trusted documents, resilience, shutdown; defaults from `parseRouterSettings`. */
  settings?: RouterSettings;
}

export interface RunningRouter {
  url: string;
  port: number;
  metrics: RouterMetrics;
  /** `/ready` turns 503, in-flight requests drain, then the server closes. Safe to call twice. */
  stop(): Promise<void>;
}

function metricsPlugin(metrics: RouterMetrics): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      const stopTimer = metrics.requestDuration.startTimer();
      let operationType = 'unknown';
      return {
        async didResolveOperation({ operation }) {
          operationType = operation?.operation ?? 'unknown';
        },
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (!code || code === 'INTERNAL_SERVER_ERROR') {
              contextValue.log.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error');
            }
          }
        },
        async willSendResponse({ response }) {
          const failed = response.body.kind === 'single' && (response.body.singleResult.errors?.length ?? 0) > 0;
          metrics.requests.inc({ operation_type: operationType, outcome: failed ? 'error' : 'ok' });
          stopTimer({ operation_type: operationType });
        },
      };
    },
  };
}

/** Serves the supergraph at `/graphql` through @apollo/gateway, with `/health`, `/ready` and `/metrics`. */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const log = options.logger ?? createLogger('router');
  const settings = options.settings ?? parseRouterSettings({ NODE_ENV: options.nodeEnv });
  const metrics = createRouterMetrics();
  const replicaUrls = Object.fromEntries(
    Object.entries(options.subgraphUrls ?? {}).map(([name, urls]) => [name, typeof urls === 'string' ? [urls] : urls]),
  );
  const pool = new SubgraphPool(settings.resilience, replicaUrls, metrics, log);
  const protection = await createProtection(settings, log);

  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger: log,
    buildService: ({ name, url }) => new SubgraphDataSource(name, url!, pool.client(name, url!), metrics),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.http.trustProxy);
  const httpServer: Server = createServer(app);
  const production = options.nodeEnv === 'production';
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    formatError: routerFormatError(production),
    includeStacktraceInErrorResponses: false,
    introspection: !production,
    hideSchemaDetailsFromClientErrors: production,
    // main.ts owns SIGTERM: /ready turns 503 first, then stop() drains. Apollo's own handler would stop at once and
    // re-raise the signal, killing the process with in-flight requests.
    stopOnTerminationSignals: false,
    ...protection.apolloOptions,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: settings.shutdown.timeoutMs }),
      production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      metricsPlugin(metrics),
      protection.plugin,
    ],
  });
  let schemaLoaded = false;
  // Registered before start(): the gateway's first schema load happens inside it.
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    pool.serve(subgraphsOf(coreSupergraphSdl));
    schemaLoaded = true;
  });
  await apollo.start();

  let stopping = false;
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'router' });
  });
  app.get('/ready', async (_req, res) => {
    const checks = Object.entries(await pool.readiness());
    const ready = !stopping && schemaLoaded && checks.every(([, ok]) => ok);
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
    ...protection.httpGuards,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdFrom(req.headers);
        res.setHeader(REQUEST_ID_HEADER, requestId);
        const deadline = Date.now() + settings.resilience.requestDeadlineMs;
        return { requestId, log: log.child({ requestId }), clientIp: req.ip ?? 'unknown', deadline };
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
  log.info({ url, subgraphs: pool.served }, 'router listening');

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    metrics,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // Load balancers see /ready turn 503 and stop sending before the listener closes.
        if (settings.shutdown.delayMs > 0) await new Promise((r) => setTimeout(r, settings.shutdown.delayMs));
        await apollo.stop(); // closes the listener, drains in-flight requests, then stops the gateway
        await Promise.all([pool.close(), protection.close()]);
        log.info('router stopped');
      })();
      return stopped;
    },
  };
}
