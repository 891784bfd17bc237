/**
 * `npm start`: the whole platform on this machine, in one process — every subgraph listed in supergraph.yaml on its
 * own port with its own database, then the router — sharing the embedded in-process event bus. Composes first if
 * needed, prints the URLs, and stops everything cleanly on Ctrl-C. (Production runs each subgraph as its own process
 * or container, with Redis between them: `docker/`.)
 *
 * With no configuration every subgraph uses its own SQLite file under .data/ and demo data is seeded on first start.
 * Set AZORA_DATABASE_URL=postgres://postgres@127.0.0.1:5432 to use one PostgreSQL database per subgraph instead, and
 * AZORA_REDIS_URL to put the event bus on Redis.
 */
import { join } from 'node:path';
import {
  createLogger,
  DEMO_PASSWORD,
  DEMO_USERS,
  generateAssertionKeys,
  inProcessBus,
  loadSubgraphDefinition,
  parseEnv,
  RedisEventBus,
  resolveDatabaseTarget,
  startSubgraph,
  stopOnSignals,
  databaseEnvSchema,
  type RunningSubgraph,
} from '@azora/kit';
import { routerAuthOf, routerEnvSchema, routerProductionRules, subscriptionLimitsOf } from '../router/src/config';
import { composedSupergraph } from '../router/src/reload/supergraph-source';
import { composeRepo, REPO_ROOT, SUPERGRAPH_CONFIG, writeComposedFiles } from '../router/src/repo-composition';
import { startRouter, type RunningRouter } from '../router/src/router';
import { toRouterSettings } from '../router/src/settings';
import { readSupergraphConfig, withUrlOverrides } from '../router/src/supergraph-config';
import { ensureWebAppBuilt } from './web-app-build';

async function main(): Promise<void> {
  const started = Date.now();
  const level = process.env.LOG_LEVEL ?? 'warn';
  const production = process.env.NODE_ENV === 'production';
  if (process.env.DATABASE_URL) {
    throw new Error('DATABASE_URL names one database; npm start runs every subgraph, so use AZORA_DATABASE_URL');
  }
  const env = parseEnv(databaseEnvSchema, { AZORA_DATA_DIR: join(REPO_ROOT, '.data'), ...process.env });
  const demoData = (process.env.AZORA_DEMO_DATA ?? (production ? 'false' : 'true')) === 'true';
  // The router signs who each caller is; subgraphs accept only that. Development gets a fresh pair per start.
  const keys =
    process.env.AZORA_ROUTER_PRIVATE_KEY && process.env.AZORA_ROUTER_PUBLIC_KEY
      ? { privateKey: process.env.AZORA_ROUTER_PRIVATE_KEY, publicKey: process.env.AZORA_ROUTER_PUBLIC_KEY }
      : production
        ? undefined
        : generateAssertionKeys();
  if (!keys) throw new Error('production mode needs AZORA_ROUTER_PRIVATE_KEY and AZORA_ROUTER_PUBLIC_KEY');
  const routerEnv = parseEnv(routerEnvSchema, { ...process.env, AZORA_ROUTER_PRIVATE_KEY: keys.privateKey }, [
    routerProductionRules,
  ]);
  const bus = process.env.AZORA_REDIS_URL ? new RedisEventBus(process.env.AZORA_REDIS_URL) : inProcessBus();

  // The router serves the web app at / from its build; (re)built while the subgraphs start when missing or stale.
  const webApp = ensureWebAppBuilt();
  webApp.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const composed = composeRepo();
  for (const hint of composed.unacceptedHints) console.warn(`composition hint ${hint.code}: ${hint.message}`);
  writeComposedFiles(composed);

  // AZORA_SUBGRAPH_<NAME>_URL moves a subgraph to another port; the router is given the same URLs.
  const entries = withUrlOverrides(readSupergraphConfig(SUPERGRAPH_CONFIG), process.env);
  const subgraphs: RunningSubgraph[] = [];
  let router: RunningRouter | undefined;
  const stopAll = async () => {
    await router?.stop();
    await Promise.all(subgraphs.map((s) => s.stop()));
    await bus.close();
  };
  stopOnSignals(createLogger('azora', level), stopAll);
  try {
    for (const entry of entries) {
      subgraphs.push(
        await startSubgraph(loadSubgraphDefinition(entry.name), {
          port: Number(new URL(entry.url).port),
          host: '127.0.0.1',
          nodeEnv: production ? 'production' : 'development',
          target: resolveDatabaseTarget(entry.name, env),
          routerPublicKey: keys.publicKey,
          logger: createLogger(entry.name, level),
          demoData,
          bus,
        }),
      );
    }
    await webApp;
    const settings = toRouterSettings(routerEnv);
    router = await startRouter({
      // Development: recomposed from supergraph.yaml whenever it or a subgraph schema changes (AZORA_HOT_RELOAD).
      supergraphSdl:
        settings.reload.enabled && !production
          ? composedSupergraph(SUPERGRAPH_CONFIG, settings.reload.pollMs, createLogger('router', level))
          : composed.supergraphSdl,
      subgraphUrls: Object.fromEntries(entries.map((e) => [e.name, e.url])),
      port: routerEnv.PORT,
      host: routerEnv.HOST,
      nodeEnv: routerEnv.NODE_ENV,
      logger: createLogger('router', level),
      settings,
      auth: routerAuthOf(routerEnv),
      subscriptionLimits: subscriptionLimitsOf(routerEnv),
    });
    // "Press Ctrl-C to stop" is the signal that the platform is usable (scripts and tests wait for it): print it only
    // once the router's own readiness check passes (supergraph loaded, every subgraph answering), not merely listening.
    await untilReady(new URL('/ready', router.url).href);
  } catch (error) {
    await stopAll();
    throw error;
  }

  const port = routerEnv.PORT;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
Azora is up in ${seconds}s (${env.AZORA_DATABASE_URL ? 'PostgreSQL' : 'embedded SQLite under .data/'}, ${process.env.AZORA_REDIS_URL ? 'Redis' : 'in-process'} event bus).

  Web app                              http://localhost:${port}/
  GraphQL endpoint and Apollo Sandbox  http://localhost:${port}/graphql   (subscriptions: ws://localhost:${port}/graphql)
  Router health / readiness / metrics  http://localhost:${port}/health  /ready  /metrics
${entries.map((s) => `  subgraph ${s.name.padEnd(28)}${s.url}`).join('\n')}

  Demo users (password "${DEMO_PASSWORD}"), each with a funded wallet:
${DEMO_USERS.map((u) => `    ${u.email.padEnd(22)}${u.roles.join(', ')}`).join('\n')}
  Open http://localhost:${port}/ and sign in as ${DEMO_USERS[0].email} with that password to see the demo wallet.
  Sign in:  mutation { signIn(input: { email: "${DEMO_USERS[0].email}", password: "${DEMO_PASSWORD}" }) { accessToken } }
  then send the header  Authorization: Bearer <accessToken>

Press Ctrl-C to stop.`);
}

/** Resolves once `readyUrl` answers 200; fails with its last answer after a minute. */
async function untilReady(readyUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await fetch(readyUrl).then(
      async (r) => ({ status: r.status, body: await r.text() }),
      (error: unknown) => ({ status: 0, body: String(error) }),
    );
    if (answer.status === 200) return;
    if (Date.now() > deadline) throw new Error(`the router did not become ready: ${answer.status} ${answer.body}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
