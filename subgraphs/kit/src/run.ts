import { listen } from './service-http';
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
import { startConsumers } from './consumers';
import {
  databaseAnswers,
  migrateToLatest,
  openDatabase,
  refusePendingMigrations,
  resolveDatabaseTarget,
  type DatabaseTarget,
  type Orm,
} from './database';
import {
  buildSchema,
  inProcessBus,
  requestContext,
  subgraphConfig,
  subgraphEntities,
  type SubgraphDefinition,
  type SubgraphExtension,
} from './definition';
import { subgraphErrorMask } from './errors';
import type { EventBus } from './events';
import { createSubgraphHttp, type SubgraphHttp } from './http';
import { publicKeyFromPem, verifyIdentityAssertion, type Identity } from './identity';
import { stopOnSignals } from './lifecycle';
import { createLogger, type Logger } from './logger';
import { createSubgraphMetrics, type SubgraphMetrics } from './metrics';
import { OutboxRelay } from './outbox-relay';
import { newId } from './ids';
import { RedisEventBus } from './redis-bus';
import { serveSubscriptions } from './subscriptions';
import { startTelemetry } from './telemetry';

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
  /** The environment `context.config` and `setup` read (default: process.env). */
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
 * Opens and migrates the database, then serves the subgraph at `/graphql` (HTTP and subscriptions) with `/health`,
 * `/ready` and `/metrics`.
 */
export async function startSubgraph(
  definition: SubgraphDefinition,
  options: StartSubgraphOptions,
): Promise<RunningSubgraph> {
  const log = options.logger ?? createLogger(definition.name);
  const env = options.env ?? process.env;
  const nodeEnv = options.nodeEnv ?? 'development';
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
  let http: SubgraphHttp | undefined;
  try {
    if (options.migrate === false) await refusePendingMigrations(orm);
    else await migrateToLatest(orm, log);
    const bus = options.bus ?? inProcessBus();
    const relay = new OutboxRelay(orm, bus, log, metrics);
    const routerKey =
      typeof options.routerPublicKey === 'string' ? publicKeyFromPem(options.routerPublicKey) : options.routerPublicKey;
    const config = subgraphConfig(definition, { ...env, NODE_ENV: nodeEnv });
    const deps = {
      orm,
      log,
      env,
      nodeEnv,
      verifyAssertion: (token: string) => verifyIdentityAssertion(token, routerKey),
      bus,
    };
    const runtime = await definition.context?.runtime?.({ ...deps, config });
    const contextFor = (requestId: string, identity: Identity, em = orm.em.fork()) =>
      requestContext(definition, { em, identity, requestId, log, bus, config, runtime });
    const extension: SubgraphExtension = definition.setup
      ? await definition.setup({ ...deps, config, runtime, as: (identity) => contextFor(newId(), identity) })
      : {};
    if (options.demoData && definition.seedDemoData) {
      const em = orm.em.fork();
      await definition.seedDemoData(em, log, (identity) => contextFor('demo-data', identity, em));
    }

    const schema = buildSchema(definition);
    http = await createSubgraphHttp({
      name: definition.name,
      schema,
      log,
      metrics,
      routerKey,
      formatError: subgraphErrorMask(definition.name, definition.errorCodes ?? {}),
      introspection: nodeEnv !== 'production',
      ready,
      contextFor,
      routes: extension.routes,
    });
    const closeSubscriptions = serveSubscriptions({
      name: definition.name,
      httpServer: http.httpServer,
      schema,
      log,
      metrics,
      routerKey,
      contextFor,
    });

    const httpServer = http.httpServer;
    const { port, url } = await listen(httpServer, options.port, options.host);
    log.info({ url, database: options.target.dialect }, 'subgraph listening');
    relay.start();
    const stopConsumers = startConsumers(
      orm,
      bus,
      [...(definition.consumers ?? []), ...(extension.consumers ?? [])],
      log,
      metrics,
      (em, identity, event) => contextFor(event.id, identity, em),
    );

    let stopped: Promise<void> | undefined;
    const running = http;
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
          await closeSubscriptions(); // closes subscriptions (1001) so the router can resubscribe elsewhere
          await running.stop(); // drains in-flight HTTP requests first
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
    http?.httpServer.close();
    await orm.close(true);
    throw error;
  }
}

/** Everything wrong with the environment a subgraph would start with: the kit's settings and its own, all at once. */
export function startupProblems(definition: SubgraphDefinition, env: NodeJS.ProcessEnv): string[] {
  const nodeEnv = nodeEnvSchema.safeParse(env.NODE_ENV).data ?? 'development';
  const own = definition.checkEnv
    ? definition.checkEnv(env, nodeEnv)
    : problemsOf(() => definition.context?.config?.(env, nodeEnv));
  return [
    ...problemsOf(() => parseEnv(subgraphEnvSchema, env, [subgraphProductionRules, subgraphServiceProductionRules])),
    ...own,
  ];
}

/**
 * The `src/index.ts` of every subgraph: read the environment, start (tracing too when configured), and shut down
 * gracefully on SIGTERM/SIGINT.
 */
export async function runSubgraph(definition: SubgraphDefinition): Promise<RunningSubgraph> {
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
