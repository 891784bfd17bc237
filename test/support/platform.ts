import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { print } from 'graphql';
import {
  createLogger,
  databaseUrlFor,
  InProcessEventBus,
  type EventBus,
  generateAssertionKeys,
  privateKeyFromPem,
  dropPostgresDatabase,
  loadSubgraphDefinition,
  migrateToLatest,
  openDatabase,
  subgraphEntities,
  type Orm,
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

/** A subgraph's migrated database of its own, for unit tests of its services (no server). */
export async function scratchOrm(definition: SubgraphDefinition, dialect: Dialect = 'sqlite'): Promise<{ orm: Orm; drop(): Promise<void> }> {
  const database = scratchDatabase(dialect, definition.name);
  const orm = await openDatabase({
    subgraph: definition.name,
    target: database.target,
    entities: subgraphEntities(definition),
    migrationsDir: definition.migrationsDir,
  });
  await migrateToLatest(orm);
  return {
    orm,
    async drop() {
      await orm.close(true);
      await database.drop();
    },
  };
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

/** Authorization headers for a signed-in caller. */
export type AuthHeaders = Record<string, string>;

export interface SignedIn {
  headers: AuthHeaders;
  accessToken: string;
  refreshToken: string;
  userId: string;
}

export interface Platform {
  dialect: Dialect;
  routerUrl: string;
  router: RunningRouter;
  subgraphs: Record<string, RunningSubgraph>;
  /** The event bus the subgraphs publish to and consume from. */
  bus: EventBus;
  /** Each subgraph's scratch database. */
  databases: Record<string, DatabaseTarget>;
  /** Sends an operation to the router. */
  request<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Signs up a fresh user through the router (unique email per call) and returns their tokens. */
  signUp(name?: string, password?: string): Promise<SignedIn & { email: string }>;
  /** Signs in through the router. */
  signIn(email: string, password: string): Promise<SignedIn>;
  /** The platform's bootstrap admin (AZORA_ADMIN_EMAIL), signed in. */
  admin(): Promise<SignedIn>;
  /** A fresh user who has been granted these roles by the admin, signed in again so the token carries them. */
  userWithRoles(roles: string[], name?: string): Promise<SignedIn & { email: string }>;
  /** Stops one subgraph (its database is kept until `stop`). */
  stopSubgraph(name: string): Promise<void>;
  /**
   * Starts a stopped subgraph again on the same port, database and bus, as a process restart would: what it committed
   * survives, and its consumers rejoin their groups on the bus. (A running one is stopped first.)
   */
  restartSubgraph(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** The token issuer every test platform uses. */
export const TEST_ISSUER = 'http://azora.test';

export interface PlatformOptions {
  dialect: Dialect;
  subgraphs?: SubgraphDefinition[];
  /** Extra environment for the subgraphs' own settings (e.g. AZORA_ADMIN_EMAIL). */
  env?: NodeJS.ProcessEnv;
  /** The event bus (default: a new in-process one). */
  bus?: EventBus;
  /** Further OIDC issuers the router trusts. */
  oidcIssuers?: string[];
  apiKeyCacheMs?: number;
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
  const keys = generateAssertionKeys();
  // A bus of its own: platforms that share a test process must not see each other's events.
  const bus = options.bus ?? new InProcessEventBus();
  const admin = { email: `admin-${randomBytes(4).toString('hex')}@azora.test`, password: randomBytes(12).toString('base64url') };
  const env = {
    ...process.env,
    AZORA_ISSUER: TEST_ISSUER,
    AZORA_ADMIN_EMAIL: admin.email,
    AZORA_ADMIN_PASSWORD: admin.password,
    ...options.env,
  };
  const subgraphs: Record<string, RunningSubgraph> = {};
  const start = (definition: SubgraphDefinition, i: number, port: number) =>
    startSubgraph(definition, {
      port,
      nodeEnv: 'test',
      target: databases[i]!.target,
      routerPublicKey: keys.publicKey,
      bus,
      logger: loggerFor(definition.name),
      env,
    });
  let router: RunningRouter | undefined;
  const stop = async () => {
    await router?.stop();
    await Promise.all(Object.values(subgraphs).map((s) => s.stop()));
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
  };
  try {
    await Promise.all(definitions.map(async (definition, i) => (subgraphs[definition.name] = await start(definition, i, 0))));
    const composed = composeSupergraph(
      definitions.map((d) => ({ name: d.name, url: subgraphs[d.name]!.url, typeDefs: print(d.typeDefs) })),
    );
    router = await startRouter({
      supergraphSdl: composed.supergraphSdl,
      port: 0,
      nodeEnv: 'test',
      logger: loggerFor('router'),
      auth: {
        privateKey: privateKeyFromPem(keys.privateKey),
        issuer: TEST_ISSUER,
        audience: 'azora',
        oidcIssuers: options.oidcIssuers,
        apiKeyCacheMs: options.apiKeyCacheMs,
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const routerUrl = router.url;
  const request = <T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
    graphql<T>(routerUrl, query, variables, headers);
  const signedIn = (payload: any): SignedIn => ({
    headers: { authorization: `Bearer ${payload.accessToken}` },
    accessToken: payload.accessToken,
    refreshToken: payload.refreshToken,
    userId: payload.user.id,
  });
  const signIn = async (email: string, password: string) => {
    const { body } = await request(
      'mutation($input: SignInInput!) { signIn(input: $input) { accessToken refreshToken user { id } } }',
      { input: { email, password } },
    );
    if (!body.data?.signIn) throw new Error(`sign-in failed: ${JSON.stringify(body.errors)}`);
    return signedIn(body.data.signIn);
  };
  let adminSession: Promise<SignedIn> | undefined;
  const signUp = async (name = 'user', password = 'correct horse battery staple') => {
    const email = `${name}-${randomBytes(5).toString('hex')}@example.test`;
    const { body } = await request(
      'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }',
      { input: { email, password, displayName: name } },
    );
    if (!body.data?.signUp) throw new Error(`sign-up failed: ${JSON.stringify(body.errors)}`);
    return { ...signedIn(body.data.signUp), email };
  };
  const platformAdmin = () => (adminSession ??= signIn(admin.email, admin.password));
  return {
    dialect: options.dialect,
    routerUrl,
    router,
    subgraphs,
    bus,
    databases: Object.fromEntries(definitions.map((d, i) => [d.name, databases[i]!.target])),
    request,
    signUp,
    signIn,
    admin: platformAdmin,
    async userWithRoles(roles, name = 'member') {
      const user = await signUp(name);
      const { headers } = await platformAdmin();
      for (const role of roles) {
        const { body } = await request('mutation($u: ID!, $r: Role!) { grantRole(userId: $u, role: $r) { id } }', { u: user.userId, r: role }, headers);
        if (body.errors) throw new Error(`grantRole failed: ${JSON.stringify(body.errors)}`);
      }
      return { ...(await signIn(user.email, 'correct horse battery staple')), email: user.email };
    },
    stopSubgraph: (name) => subgraphs[name]!.stop(),
    async restartSubgraph(name) {
      const i = definitions.findIndex((d) => d.name === name);
      const running = subgraphs[name]!;
      await running.stop();
      subgraphs[name] = await start(definitions[i]!, i, running.port);
    },
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
