import { createServer, type Server } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { requestStatements } from './database';
import { ErrorCode } from './errors';
import { IDENTITY_HEADER, verifyIdentityAssertion, type Identity } from './identity';
import type { Logger } from './logger';
import { operationsPlugin, type SubgraphMetrics } from './metrics';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import { mountServiceEndpoints } from './service-http';
import { requestScope } from './telemetry';

export interface SubgraphHttpOptions {
  name: string;
  schema: GraphQLSchema;
  log: Logger;
  metrics: SubgraphMetrics;
  /** The router's public key: every `/graphql` request must carry an identity assertion it signed. */
  routerKey: KeyObject;
  formatError: (formatted: GraphQLFormattedError) => GraphQLFormattedError;
  introspection: boolean;
  /** Whether the subgraph can serve (`/ready`). */
  ready: () => Promise<boolean>;
  /** One request's context. */
  contextFor: (requestId: string, identity: Identity) => object;
  /** Extra routes beside `/graphql`, not behind the identity assertion. */
  routes?: (app: express.Express) => void;
}

export interface SubgraphHttp {
  httpServer: Server;
  /** Drains in-flight requests, then stops Apollo. */
  stop(): Promise<void>;
}

/**
 * The subgraph's HTTP side: `/graphql` (only for the router, which proves who the caller is with a signed identity
 * assertion), `/health`, `/ready` and `/metrics`. Not listening yet: the caller adds subscriptions, then listens.
 */
export async function createSubgraphHttp(options: SubgraphHttpOptions): Promise<SubgraphHttp> {
  const { name, log, metrics, routerKey } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const apollo = new ApolloServer<{ log: Logger }>({
    schema: options.schema,
    formatError: options.formatError,
    includeStacktraceInErrorResponses: false,
    introspection: options.introspection,
    // We stop in order ourselves (stopOnSignals); Apollo's handler would re-raise the signal and kill the process.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Traces go to OpenTelemetry, not Apollo's federated-tracing extension.
      ApolloServerPluginInlineTraceDisabled(),
      operationsPlugin<{ log: Logger }>(metrics, (labels, context, seconds) => {
        const statements = requestStatements.getStore()?.statements ?? 0;
        metrics.requestStatements.observe(labels, statements);
        context.log.debug({ statements, seconds }, 'graphql request finished');
      }),
    ],
  });
  await apollo.start();

  mountServiceEndpoints(app, {
    health: { subgraph: name },
    readiness: async () => ({ ready: await options.ready(), body: { subgraph: name } }),
    registry: metrics.registry,
  });
  options.routes?.(app);
  app.use(
    '/graphql',
    requestScope(name, log),
    // Only the router may call: it verified the caller and signed who they are. Anything else is refused
    // before GraphQL runs, `_entities` and `_service` included.
    async (req, res, next) => {
      const assertion = req.headers[IDENTITY_HEADER];
      try {
        if (typeof assertion !== 'string') throw new Error('missing identity assertion');
        res.locals.identity = await verifyIdentityAssertion(assertion, routerKey);
        next();
      } catch (error) {
        log.warn({ reason: (error as Error).message, requestId: requestIdFrom(req.headers) }, 'request refused');
        res.status(401).json({
          errors: [{ message: 'Subgraphs answer only the router', extensions: { code: ErrorCode.UNAUTHENTICATED } }],
        });
      }
    },
    // Everything this request does runs in its own scope, so its SQL statements are counted for it alone.
    (_req, _res, next) => requestStatements.run({ statements: 0 }, next),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdFrom(req.headers);
        res.setHeader(REQUEST_ID_HEADER, requestId);
        return options.contextFor(requestId, res.locals.identity as Identity) as { log: Logger };
      },
    }),
  );
  return { httpServer, stop: () => apollo.stop() };
}
