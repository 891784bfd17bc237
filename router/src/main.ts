/**
 * The router process: `tsx router/src/main.ts [--supergraph <file>]`. Reads the composed supergraph (default: the
 * repository's supergraph.graphql) and serves it at http://localhost:4000/graphql.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, parseEnv, privateKeyFromPem, startTelemetry, stopOnSignals } from '@azora/kit';
import { routerEnvSchema, routerProductionRules, subscriptionLimitsOf, type RouterEnv } from './config';
import { subgraphsOf } from './compose';
import { SUPERGRAPH_FILE } from './repo-composition';
import { startRouter } from './router';
import { subgraphUrlVariable } from './supergraph-config';

async function main(): Promise<void> {
  const log = createLogger('router');
  const { values } = parseArgs({ options: { supergraph: { type: 'string' } } });
  let env: RouterEnv;
  try {
    env = parseEnv(routerEnvSchema, process.env, [routerProductionRules]);
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  log.level = env.LOG_LEVEL;
  const telemetry = startTelemetry('router');
  const file = values.supergraph ?? env.AZORA_SUPERGRAPH_FILE ?? SUPERGRAPH_FILE;
  const supergraphSdl = readFileSync(file, 'utf8');
  const subgraphUrls = Object.fromEntries(
    subgraphsOf(supergraphSdl).flatMap(({ name }) => {
      const override = process.env[subgraphUrlVariable(name)];
      return override ? [[name, override]] : [];
    }),
  );
  const router = await startRouter({
    supergraphSdl,
    subgraphUrls,
    port: env.PORT,
    host: env.HOST,
    nodeEnv: env.NODE_ENV,
    logger: log,
    subgraphTimeoutMs: env.AZORA_SUBGRAPH_TIMEOUT_MS,
    auth: {
      privateKey: privateKeyFromPem(env.AZORA_ROUTER_PRIVATE_KEY),
      issuer: env.AZORA_ISSUER,
      audience: env.AZORA_JWT_AUDIENCE,
      oidcIssuers: env.AZORA_OIDC_ISSUERS,
      apiKeyCacheMs: env.AZORA_API_KEY_CACHE_MS,
    },
    subscriptionLimits: subscriptionLimitsOf(env),
  });
  stopOnSignals(log, async () => {
    await router.stop();
    await telemetry?.shutdown();
  });
}

main().catch((error: unknown) => {
  createLogger('router').fatal({ err: error }, 'router failed to start');
  process.exit(1);
});
