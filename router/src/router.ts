import { createServer, type Server } from 'node:http';
import { ApolloGateway, type SupergraphSdlHook } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { KeyObject } from 'node:crypto';
import {
  createLogger,
  listen,
  mountServiceEndpoints,
  ErrorCode,
  operationsPlugin,
  REQUEST_ID_HEADER,
  requestIdFrom,
  requestScope,
  type Identity,
  type Logger,
  type NodeEnv,
} from '@azora/kit';
import { AssertionCache } from './auth/assertion-cache';
import { AuthenticationError, Authenticator, type TrustedIssuer } from './auth/authenticate';
import { fixedPolicy, type LivePolicy } from './auth/live-policy';
import type { Policy } from './auth/policy';
import { gatewaySupergraph, SupergraphPolicy } from './auth/supergraph-policy';
import { subscriptionContract, SubscriptionContractError } from './subscriptions/routing';
import { attachSubscriptionServer, type SubscriptionLimits, type SubscriptionTopology } from './subscriptions/server';
import { subgraphsOf } from './compose';
import type { RouterContext } from './context';
import { SubgraphDataSource } from './data-source';
import { routerFormatError } from './format-error';
import { createProtection } from './limits';
import { judgeOperation, operationPipelinePlugin } from './pipeline';
import { createRouterMetrics, type RefusalReason, type RouterMetrics } from './metrics';
import { serveWebApp } from './web-app';
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
  auth: RouterAuthOptions;
  /** The permission policy, or one that follows its sources as they change; the supergraph's directives by default. */
  policy?: Policy | LivePolicy;
  subscriptionLimits?: Partial<SubscriptionLimits>;
}

export interface RouterAuthOptions {
  /** Signs the identity assertions subgraphs require. */
  privateKey: KeyObject;
  /** Aegis's issuer (`iss`); its keys come from Aegis's JWKS. */
  issuer: string;
  audience: string;
  /** Other OIDC issuers whose access tokens are accepted; keys found by discovery. */
  oidcIssuers?: string[];
  apiKeyCacheMs?: number;
}

export interface RunningRouter {
  url: string;
  port: number;
  metrics: RouterMetrics;
  /** `/ready` turns 503, in-flight requests drain, then the server closes. Safe to call twice. */
  stop(): Promise<void>;
}

const isLivePolicy = (policy: Policy | LivePolicy | undefined): policy is LivePolicy =>
  typeof (policy as Partial<LivePolicy> | undefined)?.current === 'function';

/**
 * Counts the requests Apollo Server refuses before any operation runs: CSRF prevention and disabled batching (its
 * `invalidRequestWasReceived`), and a mutation or subscription sent over GET (refused with 405 once parsed).
 */
function refusalsPlugin(metrics: RouterMetrics): ApolloServerPlugin<RouterContext> {
  return {
    async invalidRequestWasReceived({ error }) {
      const reason: RefusalReason = /Cross-Site Request Forgery/i.test(error.message)
        ? 'csrf'
        : /batching disabled/i.test(error.message)
          ? 'batching_disabled'
          : 'bad_request';
      metrics.requestsRefused.inc({ reason });
    },
    async requestDidStart({ request }) {
      if (request.http?.method !== 'GET') return;
      return {
        async didEncounterErrors({ operation, errors }) {
          if (
            operation &&
            operation.operation !== 'query' &&
            errors.some((e) => /^GET requests only support query/.test(e.message))
          ) {
            metrics.requestsRefused.inc({ reason: 'get_mutation' });
          }
        },
      };
    },
  };
}

/** Serves the supergraph at `/graphql` through @apollo/gateway, with `/health`, `/ready` and `/metrics`. */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const log = options.logger ?? createLogger('router');
  const settings = options.settings ?? parseRouterSettings({ NODE_ENV: options.nodeEnv });
  const replicaUrls = Object.fromEntries(
    Object.entries(options.subgraphUrls ?? {}).map(([name, urls]) => [name, typeof urls === 'string' ? [urls] : urls]),
  );
  let schemaLoaded = false;
  let stopping = false;
  const readiness = async () => {
    const checks = Object.entries(await pool.readiness());
    return { ready: !stopping && schemaLoaded && checks.every(([, ok]) => ok), checks };
  };
  const metrics = createRouterMetrics(async () => (await readiness()).ready);
  const pool = new SubgraphPool(settings.resilience, replicaUrls, metrics, log);
  const protection = await createProtection(settings, log, {
    refused: (reason) => metrics.requestsRefused.inc({ reason }),
    rateLimited: (transport) => metrics.rateLimited.inc({ transport }),
  });

  const gateway = new ApolloGateway({
    // The gateway is given the supergraph with its security links as it accepts them (checked first).
    supergraphSdl: gatewaySupergraph(options.supergraphSdl),
    logger: log,
    buildService: ({ name, url }) => new SubgraphDataSource(name, pool.client(name, url!), metrics),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.http.trustProxy);
  const httpServer: Server = createServer(app);
  const production = options.nodeEnv === 'production';
  const live: LivePolicy = isLivePolicy(options.policy)
    ? options.policy
    : options.policy
      ? fixedPolicy(options.policy)
      : new SupergraphPolicy(log);
  // One judge for HTTP (the Apollo plugin below) and graphql-ws (the subscription server's onSubscribe).
  const judge = judgeOperation({
    guard: protection.guard,
    policy: () => live.current(),
    rateLimit: protection.rateLimit,
  });
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
      operationPipelinePlugin(judge),
      operationsPlugin<RouterContext>(metrics),
      refusalsPlugin(metrics),
    ],
  });
  // Registered before start(): the gateway's first schema load happens inside it.
  let topology: SubscriptionTopology | undefined;
  /** Set when the first supergraph has subscription fields the router cannot resolve: start-up then fails. */
  let contractError: SubscriptionContractError | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    // First: the policy for the new schema is settled before anything else here can fail.
    live.schemaChanged(apiSchema, coreSupergraphSdl);
    pool.serve(subgraphsOf(coreSupergraphSdl));
    schemaLoaded = true;
    metrics.zeroSubscriptionFields(Object.keys(apiSchema.getSubscriptionType()?.getFields() ?? {}));
    const { routes, violations } = subscriptionContract(coreSupergraphSdl, apiSchema);
    if (violations.length) {
      // The gateway swallows a listener's error, so it is kept: at start it fails start-up below; on a reload the new
      // schema is already served, so it is logged, and subscribing to such a field is refused naming it.
      const error = new SubscriptionContractError(violations);
      if (!topology) contractError = error;
      log.error({ violations }, error.message);
    }
    topology = { apiSchema, routes, violations, subgraphUrl: (name) => pool.urlOf(name) ?? '' };
  });
  await apollo.start();
  if (contractError) {
    await apollo.stop();
    await Promise.all([pool.close(), protection.close()]);
    live.close();
    throw contractError;
  }

  // Aegis is where credentials are resolved; the router asks it through its first replica's URL as loaded at start.
  // A supergraph without Aegis (any other supergraph) accepts only the tokens of AZORA_OIDC_ISSUERS, and no API keys.
  const aegisUrl = pool.urlOf('aegis');
  if (!aegisUrl)
    log.warn(
      { oidcIssuers: options.auth.oidcIssuers ?? [] },
      'the supergraph has no aegis subgraph: only tokens of the OIDC issuers are accepted, API keys are not',
    );
  const timeoutMs = settings.resilience.subgraphTimeoutMs;
  const trustedIssuers: TrustedIssuer[] = [
    ...(aegisUrl
      ? [
          {
            issuer: options.auth.issuer,
            jwksUrl: new URL('/.well-known/jwks.json', aegisUrl).toString(),
            requireAccessTokenType: true,
          },
        ]
      : []),
    ...(options.auth.oidcIssuers ?? []).map((issuer) => ({ issuer, requireAccessTokenType: false })),
  ];
  const authenticator = new Authenticator({
    issuers: trustedIssuers,
    audience: options.auth.audience,
    aegisUrl,
    routerKey: options.auth.privateKey,
    apiKeyCacheMs: options.auth.apiKeyCacheMs ?? 10_000,
  });

  const assertions = new AssertionCache(options.auth.privateKey);
  /** The per-request state of an operation, over HTTP or WebSocket alike. */
  const contextFor = (identity: Identity, requestId: string, clientIp = 'unknown'): RouterContext => {
    return {
      requestId,
      log: log.child({ requestId }),
      identity,
      assertion: () => assertions.for(identity),
      clientIp,
      deadline: Date.now() + settings.resilience.requestDeadlineMs,
    };
  };
  const subscriptions = attachSubscriptionServer({
    httpServer,
    path: '/graphql',
    apollo,
    authenticator,
    topology: () => topology!,
    contextFor,
    judge,
    limits: options.subscriptionLimits,
    metrics,
    log,
  });

  mountServiceEndpoints(app, {
    health: { service: 'router' },
    readiness: async () => {
      const { ready, checks } = await readiness();
      const subgraphs = Object.fromEntries(checks.map(([name, ok]) => [name, ok ? 'up' : 'down']));
      return { ready, body: { supergraphLoaded: schemaLoaded, stopping, subgraphs } };
    },
    registry: metrics.registry,
  });
  // Aegis's public endpoints, at the one address clients know.
  for (const path of aegisUrl ? ['/.well-known/jwks.json', '/.well-known/openid-configuration', '/oauth/token'] : []) {
    app.all(path, express.raw({ type: () => true, limit: '16kb' }), async (req, res) => {
      const upstream = await fetch(new URL(path, aegisUrl), {
        method: req.method,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/octet-stream',
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        },
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : (req.body as Buffer),
        signal: AbortSignal.timeout(timeoutMs),
      }).catch(() => null);
      if (!upstream) {
        res.status(503).json({ error: 'temporarily_unavailable' });
        return;
      }
      for (const header of ['content-type', 'cache-control', 'pragma', 'www-authenticate']) {
        const value = upstream.headers.get(header);
        if (value) res.setHeader(header, value);
      }
      res.status(upstream.status).send(Buffer.from(await upstream.arrayBuffer()));
    });
  }
  app.use(
    '/graphql',
    requestScope('router', log),
    // Who is calling, before any GraphQL work: a bad credential is a 401, never a 500 and never anonymous.
    async (req: express.Request, res: express.Response, next: express.NextFunction) => {
      try {
        res.locals.identity = await authenticator.authenticate(req.headers, req.url, req.socket.remoteAddress);
        next();
      } catch (error) {
        const rejected = error instanceof AuthenticationError;
        if (rejected) metrics.requestsRefused.inc({ reason: 'unauthenticated' });
        else log.error({ err: error }, 'authentication unavailable');
        res.status(rejected ? 401 : 503).json({
          errors: [
            rejected
              ? { message: error.message, extensions: { code: ErrorCode.UNAUTHENTICATED } }
              : {
                  message: 'Authentication is temporarily unavailable',
                  extensions: { code: ErrorCode.DOWNSTREAM_UNAVAILABLE },
                },
          ],
        });
      }
    },
    ...protection.httpGuards,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdFrom(req.headers);
        res.setHeader(REQUEST_ID_HEADER, requestId);
        return contextFor(res.locals.identity as Identity, requestId, req.ip ?? 'unknown');
      },
    }),
  );
  serveWebApp(app, log);

  const { port, url } = await listen(httpServer, options.port, options.host);
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
        await subscriptions.close();
        await apollo.stop(); // closes the listener, drains in-flight requests, then stops the gateway
        await Promise.all([pool.close(), protection.close()]);
        live.close();
        log.info('router stopped');
      })();
      return stopped;
    },
  };
}
