import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, shield, type IRules } from 'graphql-shield';
import type { KeyObject } from 'node:crypto';
import {
  ConfigError,
  nodeEnvSchema,
  parseEnv,
  problemsOf,
  subgraphEnvSchema,
  subgraphProductionRules,
  subgraphServiceProductionRules,
  type NodeEnv,
} from './config';
import {
  databaseAnswers,
  migrateToLatest,
  openDatabase,
  refusePendingMigrations,
  requestStatements,
  resolveDatabaseTarget,
  type DatabaseTarget,
  type EntityDefinition,
  type Orm,
  type SqlEntityManager,
} from './database';
import { ErrorCode, maskError } from './errors';
import { InProcessEventBus, OutboxEvent, type EventBus } from './events';
import { OutboxRelay } from './outbox-relay';
import { subscribeTraced } from './event-stream';
import { RedisEventBus } from './redis-bus';
import { ProcessedEvent, startConsumers, type EventConsumer } from './consumers';
import { IDENTITY_HEADER, publicKeyFromPem, verifyIdentityAssertion, type Identity } from './identity';
import { createLogger, type Logger } from './logger';
import { createSubgraphMetrics, operationsPlugin, type SubgraphMetrics } from './metrics';
import { stopOnSignals } from './lifecycle';
import { requestScope, startTelemetry } from './telemetry';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';

/** What every resolver of every subgraph receives. Everything in it lives for one request only. */
export interface SubgraphContext<Loaders = unknown> {
  requestId: string;
  log: Logger;
  /** The caller, as the router verified and asserted it. */
  identity: Identity;
  /** The event bus: subscriptions read their live events from it. */
  bus: EventBus;
  /** This request's own identity map. */
  em: SqlEntityManager;
  loaders: Loaders;
}

/** A domain subgraph: the contract plus the code behind it. The kit supplies everything else. */
export interface SubgraphDefinition<Loaders = unknown> {
  name: string;
  typeDefs: DocumentNode;
  /** The resolver map, typed per subgraph by its generated `Resolvers`. */
  resolvers: object;
  entities: EntityDefinition[];
  /** Builds this request's DataLoaders. Called once per request, never shared. */
  loaders: (em: SqlEntityManager) => Loaders;
  /** The subgraph's `src/migrations` folder. */
  migrationsDir: string;
  /** Fills an empty database with demo data (development only). Must be a no-op on a non-empty database. */
  seedDemoData?: (em: SqlEntityManager, log: Logger) => Promise<void>;
  /**
   * Object-level graphql-shield rules (those that need the parent object). Whole-field role rules live in the
   * router's deny-by-default tree; here anything without a rule is allowed, and `_service`/`_entities` always are.
   */
  permissions?: IRules | Record<string, unknown>;
  /**
   * Reactions to other domains' events, each handled once per event (de-duplicated, in one transaction). Those that
   * need the subgraph's settings come from `setup` instead (`SubgraphExtension.consumers`).
   */
  consumers?: EventConsumer[];
  /** Problems with the subgraph's own settings, reported at start-up together with the kit's. */
  checkEnv?: (env: NodeJS.ProcessEnv, nodeEnv: NodeEnv) => string[];
  /** Runs once after migrations: reads the subgraph's own settings and adds context, HTTP routes or consumers. */
  setup?: (deps: SetupDeps) => Promise<SubgraphExtension>;
}

export interface SetupDeps {
  orm: Orm;
  log: Logger;
  env: NodeJS.ProcessEnv;
  nodeEnv: NodeEnv;
  /** Verifies a router-signed identity assertion (for the subgraph's own HTTP routes). */
  verifyAssertion(token: string): Promise<Identity>;
  bus: EventBus;
}

export interface SubgraphExtension {
  /** Extra per-request context (e.g. domain services bound to this request's `em`). */
  context?: (base: SubgraphContext<unknown>) => Record<string, unknown>;
  /** Extra HTTP routes beside `/graphql` (e.g. Aegis's JWKS). They are not behind the identity assertion. */
  routes?: (app: express.Express) => void;
  /** Consumers built with what `setup` read (e.g. the subgraph's settings), started beside the definition's own. */
  consumers?: EventConsumer[];
  stop?: () => Promise<void>;
}

/** Identity function that lets TypeScript infer the loaders type once for the whole definition. */
export function defineSubgraph<Loaders>(definition: SubgraphDefinition<Loaders>): SubgraphDefinition<Loaders> {
  return definition;
}

/** The subgraph's entities plus the kit's own tables (the outbox), as migrations and the ORM see them. */
export function subgraphEntities(definition: SubgraphDefinition<any>): EntityDefinition[] {
  return [...definition.entities, OutboxEvent, ProcessedEvent];
}

let processBus: EventBus | undefined;
/** The embedded default bus, shared by everything in this process. */
export function inProcessBus(): EventBus {
  return (processBus ??= new InProcessEventBus());
}

/** Reads a subgraph's `schema.graphql`, the contract composition reads too. */
export function loadTypeDefs(path: string): DocumentNode {
  return parse(readFileSync(path, 'utf8'));
}

/** The executable federated schema of a subgraph. Never listens, so tests can use it directly. */
export function buildSchema(definition: SubgraphDefinition<never> | SubgraphDefinition<any>): GraphQLSchema {
  const schema = buildSubgraphSchema([
    { typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> },
  ]);
  if (!definition.permissions) return schema;
  const rules = definition.permissions as Record<string, Record<string, unknown>>;
  return applyMiddleware(
    schema,
    shield({ ...rules, Query: { ...rules.Query, _service: allow, _entities: allow } } as IRules, {
      fallbackRule: allow,
      allowExternalErrors: true,
    }),
  );
}

export interface StartSubgraphOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  nodeEnv?: NodeEnv;
  target: DatabaseTarget;
  /** The router's public key: every `/graphql` request must carry an identity assertion it signed. */
  routerPublicKey: KeyObject | string;
  logger?: Logger;
  demoData?: boolean;
  poolMax?: number;
  /** The environment `setup` reads (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where the outbox publishes (default: this process's in-process bus). */
  bus?: EventBus;
  /** false when a migration job runs before the services (containers): start refuses a database that is behind. */
  migrate?: boolean;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  orm: Orm;
  metrics: SubgraphMetrics;
  log: Logger;
  relay: OutboxRelay;
  /** Drains HTTP, then closes the database. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Opens and migrates the database, then serves the subgraph at `/graphql` with `/health`, `/ready` and `/metrics`.
 */
export async function startSubgraph<Loaders>(
  definition: SubgraphDefinition<Loaders>,
  options: StartSubgraphOptions,
): Promise<RunningSubgraph> {
  const log = options.logger ?? createLogger(definition.name);
  let stopping = false;
  const ready = async () => !stopping && (await databaseAnswers(orm));
  const metrics = createSubgraphMetrics(definition.name, ready);
  const orm = await openDatabase({
    subgraph: definition.name,
    target: options.target,
    entities: subgraphEntities(definition),
    migrationsDir: definition.migrationsDir,
    poolMax: options.poolMax,
    log,
    metrics,
  });
  let httpServer: Server | undefined;
  try {
    if (options.migrate === false) await refusePendingMigrations(orm);
    else await migrateToLatest(orm, log);
    const bus = options.bus ?? inProcessBus();
    const relay = new OutboxRelay(orm, bus, log, metrics);
    const routerKey =
      typeof options.routerPublicKey === 'string' ? publicKeyFromPem(options.routerPublicKey) : options.routerPublicKey;
    const extension = definition.setup
      ? await definition.setup({
          orm,
          log,
          env: options.env ?? process.env,
          nodeEnv: options.nodeEnv ?? 'development',
          verifyAssertion: (token) => verifyIdentityAssertion(token, routerKey),
          bus,
        })
      : {};
    if (options.demoData && definition.seedDemoData) {
      await definition.seedDemoData(orm.em.fork(), log);
    }

    /** One request's context; for a subscription, one per subscribe (each event's data is read afresh). */
    const contextFor = (requestId: string, identity: Identity) => {
      const em = orm.em.fork();
      const base: SubgraphContext<Loaders> = {
        requestId,
        log: log.child({ requestId }),
        identity,
        bus,
        em,
        loaders: definition.loaders(em),
      };
      return extension.context ? { ...base, ...extension.context(base) } : base;
    };

    const app = express();
    app.disable('x-powered-by');
    httpServer = createServer(app);
    const schema = buildSchema(definition);
    const apollo = new ApolloServer<SubgraphContext<Loaders>>({
      schema,
      formatError: maskError,
      includeStacktraceInErrorResponses: false,
      introspection: options.nodeEnv !== 'production',
      // We stop in order ourselves (stopOnSignals); Apollo's handler would re-raise the signal and kill the process.
      stopOnTerminationSignals: false,
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer }),
        // Traces go to OpenTelemetry, not Apollo's federated-tracing extension.
        ApolloServerPluginInlineTraceDisabled(),
        operationsPlugin<SubgraphContext<Loaders>>(metrics, (labels, context, seconds) => {
          const statements = requestStatements.getStore()?.statements ?? 0;
          metrics.requestStatements.observe(labels, statements);
          context.log.debug({ statements, seconds }, 'graphql request finished');
        }),
      ],
    });
    await apollo.start();

    // Subscriptions: the router subscribes here over graphql-ws, proving who the caller is with the same assertion.
    const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 256 * 1024 });
    metrics.zeroSubscriptionFields(Object.keys(schema.getSubscriptionType()?.getFields() ?? {}));
    const wsCleanup = useServer<Record<string, unknown>, { identity: Identity; requestId: string }>(
      {
        schema,
        async onConnect(ctx) {
          const assertion = ctx.connectionParams?.[IDENTITY_HEADER];
          try {
            if (typeof assertion !== 'string') throw new Error('missing identity assertion');
            ctx.extra.identity = await verifyIdentityAssertion(assertion, routerKey);
            ctx.extra.requestId = requestIdFrom({
              [REQUEST_ID_HEADER]: String(ctx.connectionParams?.[REQUEST_ID_HEADER] ?? ''),
            });
            metrics.websocketConnections.inc();
            ctx.extra.socket.once('close', () => metrics.websocketConnections.dec());
            return true;
          } catch (error) {
            log.warn({ reason: (error as Error).message }, 'subscription refused');
            return false;
          }
        },
        context: (ctx) => contextFor(ctx.extra.requestId!, ctx.extra.identity!),
        // Each event's result continues the event's trace, and tells the router its traceparent.
        subscribe: (args) => subscribeTraced(args, definition.name, metrics),
      },
      wsServer,
    );

    app.get('/health', (_req, res) => {
      res.json({ status: 'ok', subgraph: definition.name });
    });
    app.get('/ready', async (_req, res) => {
      const ok = await ready();
      res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', subgraph: definition.name });
    });
    app.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
    extension.routes?.(app);
    app.use(
      '/graphql',
      requestScope(definition.name, log),
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
          return contextFor(requestId, res.locals.identity as Identity);
        },
      }),
    );

    await new Promise<void>((resolveListen, reject) => {
      httpServer!.once('error', reject);
      httpServer!.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolveListen());
    });
    const port = (httpServer.address() as AddressInfo).port;
    const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
    const url = `http://${host}:${port}/graphql`;
    log.info({ url, database: options.target.dialect }, 'subgraph listening');
    relay.start();
    const stopConsumers = startConsumers(
      orm,
      bus,
      [...(definition.consumers ?? []), ...(extension.consumers ?? [])],
      log,
      metrics,
    );

    let stopped: Promise<void> | undefined;
    return {
      name: definition.name,
      url,
      port,
      orm,
      metrics,
      log,
      relay,
      stop() {
        stopped ??= (async () => {
          stopping = true;
          await wsCleanup.dispose(); // closes subscriptions (1001) so the router can resubscribe elsewhere
          await apollo.stop(); // drains in-flight HTTP requests first
          stopConsumers();
          await relay.stop(); // publishes what those requests committed
          await extension.stop?.();
          await orm.close(true);
          log.info('subgraph stopped');
        })();
        return stopped;
      },
    };
  } catch (error) {
    httpServer?.close();
    await orm.close(true);
    throw error;
  }
}

/** Everything wrong with the environment a subgraph would start with: the kit's settings and its own, all at once. */
export function startupProblems(definition: SubgraphDefinition<any>, env: NodeJS.ProcessEnv): string[] {
  const nodeEnv = nodeEnvSchema.safeParse(env.NODE_ENV).data ?? 'development';
  return [
    ...problemsOf(() => parseEnv(subgraphEnvSchema, env, [subgraphProductionRules, subgraphServiceProductionRules])),
    ...(definition.checkEnv?.(env, nodeEnv) ?? []),
  ];
}

/**
 * The `src/index.ts` of every subgraph: read the environment, start (tracing too when configured), and shut down
 * gracefully on SIGTERM/SIGINT.
 */
export async function runSubgraph<Loaders>(definition: SubgraphDefinition<Loaders>): Promise<RunningSubgraph> {
  const log = createLogger(definition.name);
  const problems = startupProblems(definition, process.env);
  if (problems.length > 0) {
    log.fatal(new ConfigError(problems).message);
    process.exit(1);
  }
  const env = parseEnv(subgraphEnvSchema, process.env);
  log.level = env.LOG_LEVEL;
  const telemetry = startTelemetry(definition.name);
  const bus = env.AZORA_REDIS_URL ? new RedisEventBus(env.AZORA_REDIS_URL, log) : inProcessBus();
  const running = await startSubgraph(definition, {
    bus,
    port: env.PORT ?? 0,
    host: env.HOST,
    nodeEnv: env.NODE_ENV,
    target: resolveDatabaseTarget(definition.name, env),
    routerPublicKey: env.AZORA_ROUTER_PUBLIC_KEY,
    logger: log,
    demoData: env.AZORA_DEMO_DATA,
    poolMax: env.DB_POOL_MAX,
    migrate: env.AZORA_MIGRATE_ON_START,
  }).catch((error: unknown) => {
    log.fatal({ err: error }, 'subgraph failed to start');
    process.exit(1);
  });
  stopOnSignals(log, async () => {
    await running.stop();
    await bus.close();
    await telemetry?.shutdown();
  });
  return running;
}
