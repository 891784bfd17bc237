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
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { parseEnv, subgraphEnvSchema, subgraphProductionRules, type NodeEnv } from './config';
import {
  databaseAnswers,
  migrateToLatest,
  openDatabase,
  refusePendingMigrations,
  resolveDatabaseTarget,
  type DatabaseTarget,
  type EntityDefinition,
  type Orm,
  type SqlEntityManager,
} from './database';
import { maskError } from './errors';
import { createLogger, type Logger } from './logger';
import { createSubgraphMetrics, operationsPlugin, type SubgraphMetrics } from './metrics';
import { stopOnSignals } from './lifecycle';
import { requestScope, startTelemetry } from './telemetry';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';

/** What every resolver of every subgraph receives. Everything in it lives for one request only. */
export interface SubgraphContext<Loaders = unknown> {
  requestId: string;
  log: Logger;
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
}

/** Identity function that lets TypeScript infer the loaders type once for the whole definition. */
export function defineSubgraph<Loaders>(definition: SubgraphDefinition<Loaders>): SubgraphDefinition<Loaders> {
  return definition;
}

/** Reads a subgraph's `schema.graphql`, the contract composition reads too. */
export function loadTypeDefs(path: string): DocumentNode {
  return parse(readFileSync(path, 'utf8'));
}

/** The executable federated schema of a subgraph. Never listens, so tests can use it directly. */
export function buildSchema(definition: SubgraphDefinition<never> | SubgraphDefinition<any>): GraphQLSchema {
  return buildSubgraphSchema([
    { typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> },
  ]);
}

export interface StartSubgraphOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  nodeEnv?: NodeEnv;
  target: DatabaseTarget;
  logger?: Logger;
  demoData?: boolean;
  poolMax?: number;
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
    entities: definition.entities,
    migrationsDir: definition.migrationsDir,
    poolMax: options.poolMax,
    log,
    metrics,
  });
  let httpServer: Server | undefined;
  try {
    if (options.migrate === false) await refusePendingMigrations(orm);
    else await migrateToLatest(orm, log);
    if (options.demoData && definition.seedDemoData) {
      await definition.seedDemoData(orm.em.fork(), log);
    }

    const app = express();
    app.disable('x-powered-by');
    httpServer = createServer(app);
    const apollo = new ApolloServer<SubgraphContext<Loaders>>({
      schema: buildSchema(definition),
      formatError: maskError,
      includeStacktraceInErrorResponses: false,
      introspection: options.nodeEnv !== 'production',
      plugins: [
        ApolloServerPluginDrainHttpServer({ httpServer }),
        // Traces go to OpenTelemetry, not Apollo's federated-tracing extension.
        ApolloServerPluginInlineTraceDisabled(),
        operationsPlugin<SubgraphContext<Loaders>>(metrics),
      ],
    });
    await apollo.start();

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
    app.use(
      '/graphql',
      requestScope(definition.name, log),
      express.json({ limit: '1mb' }),
      expressMiddleware(apollo, {
        context: async ({ req, res }) => {
          const requestId = requestIdFrom(req.headers);
          res.setHeader(REQUEST_ID_HEADER, requestId);
          const em = orm.em.fork();
          return { requestId, log: log.child({ requestId }), em, loaders: definition.loaders(em) };
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

    let stopped: Promise<void> | undefined;
    return {
      name: definition.name,
      url,
      port,
      orm,
      metrics,
      log,
      stop() {
        stopped ??= (async () => {
          stopping = true;
          await apollo.stop(); // drains in-flight HTTP requests first
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

/**
 * The `src/index.ts` of every subgraph: read the environment, start (tracing too when configured), and shut down
 * gracefully on SIGTERM/SIGINT.
 */
export async function runSubgraph<Loaders>(definition: SubgraphDefinition<Loaders>): Promise<RunningSubgraph> {
  const log = createLogger(definition.name);
  let env;
  try {
    env = parseEnv(subgraphEnvSchema, process.env, [subgraphProductionRules]);
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  log.level = env.LOG_LEVEL;
  const telemetry = startTelemetry(definition.name);
  const running = await startSubgraph(definition, {
    port: env.PORT ?? 0,
    host: env.HOST,
    nodeEnv: env.NODE_ENV,
    target: resolveDatabaseTarget(definition.name, env),
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
    await telemetry?.shutdown();
  });
  return running;
}
