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
  type NodeEnv,
  type RunningSubgraph,
  type SubgraphDefinition,
} from '@azora/kit';
import {
  composeSupergraph,
  parseRouterSettings,
  readSupergraphConfig,
  startRouter,
  type RunningRouter,
} from '@azora/router';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { LivePolicy } from '../../router/src/auth/live-policy';
import type { Policy } from '../../router/src/auth/policy';
import { SUPERGRAPH_CONFIG } from '../../router/src/repo-composition';
import { copyTemplateInto } from './templates';
import { until } from './waiting';
import type { SubscriptionLimits } from '../../router/src/subscriptions/server';

/** SQLite always; PostgreSQL too when the global setup found it (and always under CI=true). */
export function testDialects(): Dialect[] {
  return process.env.AZORA_TEST_POSTGRES ? ['sqlite', 'postgresql'] : ['sqlite'];
}

/** Every subgraph supergraph.yaml lists. */
export function allSubgraphs(): SubgraphDefinition[] {
  return readSupergraphConfig(SUPERGRAPH_CONFIG).map(({ name }) => loadSubgraphDefinition(name));
}

/** A database of one test run; `drop` removes it. */
export interface ScratchDatabase {
  target: DatabaseTarget;
  drop(): Promise<void>;
}

/** An empty database of its own for one subgraph in one test run; `drop` removes it. */
export function scratchDatabase(dialect: Dialect, subgraph: string): ScratchDatabase {
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

/**
 * A database of its own for one subgraph, already migrated: a copy of the subgraph's template (see templates.ts),
 * which is much cheaper than running every migration again.
 */
export async function migratedScratchDatabase(
  dialect: Dialect,
  definition: SubgraphDefinition,
): Promise<ScratchDatabase> {
  const database = scratchDatabase(dialect, definition.name);
  try {
    await copyTemplateInto(definition, database.target, process.env.AZORA_TEST_POSTGRES);
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
  return database;
}

/** A subgraph's migrated database of its own, for unit tests of its services (no server). */
export async function scratchOrm(
  definition: SubgraphDefinition,
  dialect: Dialect = 'sqlite',
): Promise<{ orm: Orm; drop(): Promise<void> }> {
  const database = await migratedScratchDatabase(dialect, definition);
  const orm = await openDatabase({
    subgraph: definition.name,
    target: database.target,
    entities: subgraphEntities(definition),
    migrationsDir: definition.migrationsDir,
  });
  // A copy of the template: nothing is pending, but a stale template would show here rather than in a query.
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

export interface RouterTestOptions {
  /** Another supergraph (or a hot-reload hook) than the platform's own. */
  supergraph?: string | SupergraphSdlHook;
  /** Another permission policy than the supergraph's own directives (tests of fixture subgraphs). */
  policy?: Policy | LivePolicy;
  /** Router settings as environment variables over the defaults, e.g. `{ AZORA_LIMIT_MAX_DEPTH: '3' }`. */
  env?: Record<string, string>;
  /** Router mode; `test` by default. */
  nodeEnv?: NodeEnv;
  /** URLs the router uses instead of the subgraphs' own (a fault proxy, replicas); name -> URL or replica URLs. */
  subgraphUrls?: Record<string, string | string[]>;
  /** This router's logger (e.g. `captureLogs().loggerFor('router')`), instead of the platform's. */
  logger?: Logger;
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
  /** The router's Ed25519 private key (PEM) the subgraphs trust, for a router started in a process of its own. */
  routerPrivateKey: string;
  /**
   * A supergraph of the platform's subgraphs (all, or `only` these) plus `extra` ones such as a fixture subgraph,
   * for a router started with `startRouter({ supergraph })`.
   */
  compose(options?: { only?: string[]; extra?: { name: string; url: string; typeDefs: string }[] }): string;
  /** The event bus the subgraphs publish to and consume from. */
  bus: EventBus;
  /**
   * Counts live (not durable-group) subscriptions to the bus from now on. A subscription through the router reaches
   * the bus once its subgraph's event stream is listening, so a test that starts subscriptions waits with
   * `opened(n)` for that signal, instead of for a duration, before it causes the event.
   */
  watchSubscriptions(): { opened(count: number, timeoutMs?: number): Promise<void> };
  /** Each subgraph's scratch database. */
  databases: Record<string, DatabaseTarget>;
  /** Sends an operation to the router. */
  request<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Signs up a fresh user through the router (unique email per call) and returns their tokens. */
  signUp(name?: string, password?: string): Promise<SignedIn & { email: string }>;
  /** Signs in through the router. */
  signIn(email: string, password: string): Promise<SignedIn>;
  /** The platform's bootstrap admin (AZORA_ADMIN_EMAIL), signed in. */
  admin(): Promise<SignedIn>;
  /** A fresh user who has been granted these roles by the admin, signed in again so the token carries them. */
  userWithRoles(roles: string[], name?: string): Promise<SignedIn & { email: string }>;
  /** Stops one subgraph, every replica or the one given (its database is kept until `stop`). */
  stopSubgraph(name: string, replica?: number): Promise<void>;
  /** Starts a stopped subgraph replica again, on the same port and database. */
  restartSubgraph(name: string, replica?: number): Promise<void>;
  /** Another router over the same subgraphs, trusted by them like the first; `stop` stops it too. */
  startRouter(options?: RouterTestOptions): Promise<RunningRouter>;
  stop(): Promise<void>;
}

/** The token issuer every test platform uses. */
export const TEST_ISSUER = 'http://azora.test';

/** A subgraph by its name in supergraph.yaml, or a definition (a fixture's, or one loaded with other options). */
export type SubgraphChoice = string | SubgraphDefinition;

export interface PlatformOptions {
  dialect: Dialect;
  /**
   * The subgraphs to boot, and no others: a suite names what it uses (Aegis for anyone who signs in), so a new
   * subgraph does not make suites that never use it slower. They must compose on their own: Mint's `Contract.escrow`
   * requires fields Forge owns, so a suite that names Mint names Forge too.
   */
  subgraphs: SubgraphChoice[];
  /** Extra environment for the subgraphs' own settings (e.g. AZORA_ADMIN_EMAIL). */
  env?: NodeJS.ProcessEnv;
  /** The event bus (default: a new in-process one). */
  bus?: EventBus;
  /** Another platform whose databases this one uses too (a second replica of everything); it owns and drops them. */
  sharing?: Platform;
  /** Further OIDC issuers the router trusts. */
  oidcIssuers?: string[];
  subscriptionLimits?: Partial<SubscriptionLimits>;
  apiKeyCacheMs?: number;
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
  const definitions = options.subgraphs.map((s) => (typeof s === 'string' ? loadSubgraphDefinition(s) : s));
  const loggerFor = options.loggerFor ?? ((service) => createLogger(service, process.env.AZORA_TEST_LOG ?? 'silent'));
  const copies = await Promise.allSettled(
    definitions.map(async (d): Promise<ScratchDatabase> =>
      options.sharing
        ? { target: options.sharing.databases[d.name]!, drop: async () => undefined }
        : migratedScratchDatabase(options.dialect, d),
    ),
  );
  const failed = copies.find((c) => c.status === 'rejected');
  if (failed) {
    await Promise.all(copies.map((c) => c.status === 'fulfilled' && c.value.drop().catch(() => undefined)));
    throw failed.reason;
  }
  const databases = copies.map((c) => (c as PromiseFulfilledResult<ScratchDatabase>).value);
  const keys = generateAssertionKeys();
  // A bus of its own: platforms that share a test process must not see each other's events.
  const counted = countingBus(options.bus ?? new InProcessEventBus());
  const bus = counted.bus;
  const admin = {
    email: `admin-${randomBytes(4).toString('hex')}@azora.test`,
    password: randomBytes(12).toString('base64url'),
  };
  const env = {
    ...process.env,
    AZORA_ISSUER: TEST_ISSUER,
    AZORA_ADMIN_EMAIL: admin.email,
    AZORA_ADMIN_PASSWORD: admin.password,
    ...options.env,
  };
  const replicas: Record<string, RunningSubgraph[]> = {};
  const routers: RunningRouter[] = [];
  const stop = async () => {
    await Promise.all(routers.map((r) => r.stop()));
    await Promise.all(
      Object.values(replicas)
        .flat()
        .map((s) => s.stop()),
    );
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
  };
  const startReplica = (name: string, port: number) => {
    const i = definitions.findIndex((d) => d.name === name);
    return startSubgraph(definitions[i]!, {
      port,
      nodeEnv: 'test',
      target: databases[i]!.target,
      routerPublicKey: keys.publicKey,
      bus,
      logger: loggerFor(name),
      env,
    });
  };
  let supergraphSdl: string;
  const startTestRouter = async (router: RouterTestOptions = {}) => {
    const nodeEnv = router.nodeEnv ?? 'test';
    const running = await startRouter({
      supergraphSdl: router.supergraph ?? supergraphSdl,
      policy: router.policy,
      subgraphUrls: {
        ...Object.fromEntries(
          Object.entries(replicas)
            .filter(([, r]) => r.length > 1)
            .map(([name, r]) => [name, r.map((s) => s.url)]),
        ),
        ...router.subgraphUrls,
      },
      port: 0,
      nodeEnv,
      logger: router.logger ?? loggerFor('router'),
      settings: parseRouterSettings({ NODE_ENV: nodeEnv, ...router.env }),
      auth: {
        privateKey: privateKeyFromPem(keys.privateKey),
        issuer: TEST_ISSUER,
        audience: 'azora',
        oidcIssuers: options.oidcIssuers,
        apiKeyCacheMs: options.apiKeyCacheMs,
      },
      subscriptionLimits: options.subscriptionLimits,
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
    routerPrivateKey: keys.privateKey,
    compose: ({ only, extra = [] } = {}) =>
      composeSupergraph([
        ...definitions
          .filter((d) => !only || only.includes(d.name))
          .map((d) => ({ name: d.name, url: replicas[d.name]![0]!.url, typeDefs: print(d.typeDefs) })),
        ...extra,
      ]).supergraphSdl,
    bus,
    watchSubscriptions() {
      const start = counted.opened();
      return {
        opened: async (count, timeoutMs) => {
          await until(
            `${count} new subscription(s) reached the bus`,
            () => counted.opened() - start >= count,
            timeoutMs,
          );
        },
      };
    },
    databases: Object.fromEntries(definitions.map((d, i) => [d.name, databases[i]!.target])),
    request,
    signUp,
    signIn,
    admin: platformAdmin,
    async userWithRoles(roles, name = 'member') {
      const user = await signUp(name);
      const { headers } = await platformAdmin();
      for (const role of roles) {
        const { body } = await request(
          'mutation($u: ID!, $r: Role!) { grantRole(userId: $u, role: $r) { id } }',
          { u: user.userId, r: role },
          headers,
        );
        if (body.errors) throw new Error(`grantRole failed: ${JSON.stringify(body.errors)}`);
      }
      return { ...(await signIn(user.email, 'correct horse battery staple')), email: user.email };
    },
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

/** `inner`, counting the live subscriptions ever made to it (without a durable group: subscriptions, not consumers). */
function countingBus(inner: EventBus): { bus: EventBus; opened(): number } {
  let opened = 0;
  return {
    opened: () => opened,
    bus: {
      publish: (event) => inner.publish(event),
      subscribe(topics, handler, options) {
        const unsubscribe = inner.subscribe(topics, handler, options);
        if (!options?.group) opened++;
        return unsubscribe;
      },
      close: () => inner.close(),
    },
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
