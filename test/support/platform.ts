import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { print } from 'graphql';
import {
  createLogger,
  databaseUrlFor,
  dropPostgresDatabase,
  loadSubgraphDefinition,
  startSubgraph,
  type DatabaseTarget,
  type Dialect,
  type Logger,
  type RunningSubgraph,
  type SubgraphDefinition,
} from '@azora/kit';
import { composeSupergraph, readSupergraphConfig, startRouter, type RunningRouter } from '@azora/router';
import { SUPERGRAPH_CONFIG } from '../../router/src/repo-composition';

/** SQLite always; PostgreSQL too when the global setup found it (and always under CI=true). */
export function testDialects(): Dialect[] {
  return process.env.AZORA_TEST_POSTGRES ? ['sqlite', 'postgresql'] : ['sqlite'];
}

/** Every subgraph supergraph.yaml lists. */
export function allSubgraphs(): SubgraphDefinition[] {
  return readSupergraphConfig(SUPERGRAPH_CONFIG).map(({ name }) => loadSubgraphDefinition(name));
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

export interface Platform {
  dialect: Dialect;
  routerUrl: string;
  router: RunningRouter;
  subgraphs: Record<string, RunningSubgraph>;
  /** Each subgraph's scratch database. */
  databases: Record<string, DatabaseTarget>;
  /** Sends an operation to the router. */
  request<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Stops one subgraph (its database is kept until `stop`). */
  stopSubgraph(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  dialect: Dialect;
  subgraphs?: SubgraphDefinition[];
  /** A logger per service; silent by default (AZORA_TEST_LOG=debug to see logs). */
  loggerFor?: (service: string) => Logger;
}

/**
 * Boots real subgraphs on ephemeral ports, each with a fresh database of the chosen dialect, composes them in-process
 * and puts the real router in front. Tests talk to `routerUrl` like any client.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const definitions = options.subgraphs ?? allSubgraphs();
  const loggerFor = options.loggerFor ?? ((service) => createLogger(service, process.env.AZORA_TEST_LOG ?? 'silent'));
  const databases = definitions.map((d) => scratchDatabase(options.dialect, d.name));
  const subgraphs: Record<string, RunningSubgraph> = {};
  let router: RunningRouter | undefined;
  const stop = async () => {
    await router?.stop();
    await Promise.all(Object.values(subgraphs).map((s) => s.stop()));
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
  };
  try {
    await Promise.all(
      definitions.map(async (definition, i) => {
        subgraphs[definition.name] = await startSubgraph(definition, {
          port: 0,
          nodeEnv: 'test',
          target: databases[i]!.target,
          logger: loggerFor(definition.name),
        });
      }),
    );
    const composed = composeSupergraph(
      definitions.map((d) => ({ name: d.name, url: subgraphs[d.name]!.url, typeDefs: print(d.typeDefs) })),
    );
    router = await startRouter({ supergraphSdl: composed.supergraphSdl, port: 0, nodeEnv: 'test', logger: loggerFor('router') });
  } catch (error) {
    await stop();
    throw error;
  }
  const routerUrl = router.url;
  return {
    dialect: options.dialect,
    routerUrl,
    router,
    subgraphs,
    databases: Object.fromEntries(definitions.map((d, i) => [d.name, databases[i]!.target])),
    request: (query, variables, headers) => graphql(routerUrl, query, variables, headers),
    stopSubgraph: (name) => subgraphs[name]!.stop(),
    stop,
  };
}

/** A TCP port nothing listens on right now (for child processes that need a fixed port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
