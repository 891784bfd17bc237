/**
 * The router process: `tsx router/src/main.ts [--supergraph <file>]`. Serves at http://localhost:4000/graphql:
 * - the given supergraph file (or AZORA_SUPERGRAPH_FILE), reloaded when a new file is dropped in its place;
 * - otherwise in development, supergraph.yaml composed in-process, recomposed when it or a subgraph schema changes;
 * - otherwise (production) the repository's supergraph.graphql, reloaded like any given file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { createLogger, parseEnv, privateKeyFromPem, startTelemetry, stopOnSignals, type Logger } from '@azora/kit';
import { composeFromConfig } from './compose';
import { routerEnvSchema, routerProductionRules, subscriptionLimitsOf, type RouterEnv } from './config';
import { composedSupergraph, supergraphFile } from './reload/supergraph-source';
import { SUPERGRAPH_CONFIG, SUPERGRAPH_FILE } from './repo-composition';
import { startRouter } from './router';
import { toRouterSettings, type RouterSettings } from './settings';
import { readSupergraphConfig, subgraphUrlsFromEnv } from './supergraph-config';

function supergraphSource(file: string | undefined, configFile: string | undefined, settings: RouterSettings, log: Logger): string | SupergraphSdlHook {
  const { enabled, pollMs } = settings.reload;
  const config = configFile ?? SUPERGRAPH_CONFIG;
  if (!file && settings.nodeEnv !== 'production' && existsSync(config)) {
    log.info({ config, hotReload: enabled }, 'composing the supergraph from its config');
    return enabled ? composedSupergraph(config, pollMs, log) : composeFromConfig(readSupergraphConfig(config)).supergraphSdl;
  }
  const path = file ?? SUPERGRAPH_FILE;
  log.info({ supergraph: path, hotReload: enabled }, 'serving a supergraph file');
  return enabled ? supergraphFile(path, pollMs, log) : readFileSync(path, 'utf8');
}

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
  const settings = toRouterSettings(env);
  const router = await startRouter({
    supergraphSdl: supergraphSource(values.supergraph ?? env.AZORA_SUPERGRAPH_FILE, env.AZORA_SUPERGRAPH_CONFIG, settings, log),
    subgraphUrls: subgraphUrlsFromEnv(process.env),
    port: env.PORT,
    host: env.HOST,
    nodeEnv: env.NODE_ENV,
    logger: log,
    settings,
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
