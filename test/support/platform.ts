import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import {
  createLogger,
  databaseUrlFor,
  dropPostgresDatabase,
  startSubgraph,
  type DatabaseTarget,
  type Dialect,
  type Logger,
  type NodeEnv,
  type RunningSubgraph,
  type SubgraphDefinition,
} from '@azora/kit';
import { composeSupergraph, parseRouterSettings, readSupergraphConfig, startRouter, type RunningRouter } from '@azora/router';
import { SUPERGRAPH_CONFIG } from '../../router/src/repo-composition';

/** SQLite always; PostgreSQL too when the global setup found it (and always under CI=true). */
export function testDialects(): Dialect[] {
  return process.env.AZORA_TEST_POSTGRES ? ['sqlite', 'postgresql'] : ['sqlite'];
}

/** Every subgraph supergraph.yaml lists, by the convention `subgraphs/<name>/src/schema.ts` exports `<name>`. */
export function allSubgraphs(): SubgraphDefinition[] {
  return readSupergraphConfig(SUPERGRAPH_CONFIG).map(({ name }) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const definition = (require(join('..', '..', 'subgraphs', name, 'src', 'schema.ts')) as Record<string, SubgraphDefinition>)[name];
    if (!definition) throw new Error(`subgraphs/${name}/src/schema.ts does not export \`${name}\``);
    return definition;
  });
}

/** A database of its own for one subgraph in one test run; `drop` removes it. */
export function scratchDatabase(dialect: Dialect, subgraph: string): { target: DatabaseTarget; drop(): Promise<void> } {
  const suffix = randomBytes(5).toString('hex');
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `azora-${subgraph}-`));
    return {
      target: { dialect, file: join(dir, `${subgraph}.sqlite`) },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const url = databaseUrlFor(process.env.AZORA_TEST_POSTGRES!, `azora_t${suffix}_${subgraph}`);
  return { target: { dialect, url }, drop: () => dropPostgresDatabase(url) };
}

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

/** POSTs one operation the way a client does. */
export async function graphql<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLResponse<T>['body'];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON response ${response.status}: ${text.slice(0, 300)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

export interface RouterTestOptions {
  /** Router settings as environment variables over the defaults, e.g. `{ AZORA_LIMIT_MAX_DEPTH: '3' }`. */
  env?: Record<string, string>;
  /** Router mode; `test` by default. */
  nodeEnv?: NodeEnv;
  /** URLs the router uses instead of the subgraphs' own (a fault proxy, replicas); name -> URL or replica URLs. */
  subgraphUrls?: Record<string, string | string[]>;
}

export interface Platform {
  dialect: Dialect;
  routerUrl: string;
  router: RunningRouter;
  /** The first (or only) replica of each subgraph. */
  subgraphs: Record<string, RunningSubgraph>;
  /** Every replica of each subgraph. */
  replicas: Record<string, RunningSubgraph[]>;
  supergraphSdl: string;
  /** Sends an operation to the router. */
  request<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Stops one subgraph, every replica or the one given (its database is kept until `stop`). */
  stopSubgraph(name: string, replica?: number): Promise<void>;
  /** Starts a stopped subgraph replica again, on the same port and database. */
  restartSubgraph(name: string, replica?: number): Promise<void>;
  /** Another router over the same subgraphs; `stop` stops it too. */
  startRouter(options?: RouterTestOptions): Promise<RunningRouter>;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  dialect: Dialect;
  subgraphs?: SubgraphDefinition[];
  /** A logger per service; silent by default (AZORA_TEST_LOG=debug to see logs). */
  loggerFor?: (service: string) => Logger;
  /** How the platform's own router is started. */
  router?: RouterTestOptions;
  /** Running copies per subgraph (default 1), each on its own port, sharing the subgraph's database. */
  replicas?: Record<string, number>;
}

/**
 * Boots real subgraphs on ephemeral ports, each with a fresh database of the chosen dialect, composes them in-process
 * and puts the real router in front. Tests talk to `routerUrl` like any client.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const definitions = options.subgraphs ?? allSubgraphs();
  const loggerFor = options.loggerFor ?? ((service) => createLogger(service, process.env.AZORA_TEST_LOG ?? 'silent'));
  const databases = definitions.map((d) => scratchDatabase(options.dialect, d.name));
  const replicas: Record<string, RunningSubgraph[]> = {};
  const routers: RunningRouter[] = [];
  const stop = async () => {
    await Promise.all(routers.map((r) => r.stop()));
    await Promise.all(Object.values(replicas).flat().map((s) => s.stop()));
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
  };
  const startReplica = (name: string, port: number) => {
    const i = definitions.findIndex((d) => d.name === name);
    return startSubgraph(definitions[i]!, { port, nodeEnv: 'test', target: databases[i]!.target, logger: loggerFor(name) });
  };
  let supergraphSdl: string;
  const startTestRouter = async (router: RouterTestOptions = {}) => {
    const nodeEnv = router.nodeEnv ?? 'test';
    const running = await startRouter({
      supergraphSdl,
      subgraphUrls: {
        ...Object.fromEntries(Object.entries(replicas).filter(([, r]) => r.length > 1).map(([name, r]) => [name, r.map((s) => s.url)])),
        ...router.subgraphUrls,
      },
      port: 0,
      nodeEnv,
      logger: loggerFor('router'),
      settings: parseRouterSettings({ NODE_ENV: nodeEnv, ...router.env }),
    });
    routers.push(running);
    return running;
  };
  let router: RunningRouter;
  try {
    await Promise.all(
      definitions.map(async (definition) => {
        // One after another within a subgraph: the first copy migrates the shared database.
        replicas[definition.name] = [];
        for (let n = 0; n < (options.replicas?.[definition.name] ?? 1); n++) {
          replicas[definition.name]!.push(await startReplica(definition.name, 0));
        }
      }),
    );
    supergraphSdl = composeSupergraph(
      definitions.map((d) => ({ name: d.name, url: replicas[d.name]![0]!.url, typeDefs: print(d.typeDefs) })),
    ).supergraphSdl;
    router = await startTestRouter(options.router);
  } catch (error) {
    await stop();
    throw error;
  }
  const routerUrl = router.url;
  const pick = (name: string, replica: number | undefined) =>
    replica === undefined ? replicas[name]!.map((_, i) => i) : [replica];
  return {
    dialect: options.dialect,
    routerUrl,
    router,
    get subgraphs() {
      return Object.fromEntries(Object.entries(replicas).map(([name, r]) => [name, r[0]!]));
    },
    replicas,
    supergraphSdl: supergraphSdl!,
    request: (query, variables, headers) => graphql(routerUrl, query, variables, headers),
    stopSubgraph: async (name, replica) => {
      await Promise.all(pick(name, replica).map((i) => replicas[name]![i]!.stop()));
    },
    restartSubgraph: async (name, replica) => {
      for (const i of pick(name, replica)) replicas[name]![i] = await startReplica(name, replicas[name]![i]!.port);
    },
    startRouter: startTestRouter,
    stop,
  };
}
