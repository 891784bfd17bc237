/**
 * The router process: `tsx router/src/main.ts [--supergraph <file>] [--policy <file>|permissive]`. Serves at
 * http://localhost:4000/graphql, guarded by the supergraph's access directives, and by the given policy file too
 * (router/src/auth/policy-file.ts, reloaded with the supergraph and whenever the file changes),
 * - the given supergraph file (or AZORA_SUPERGRAPH_FILE), reloaded when a new file is dropped in its place;
 * - otherwise in development, supergraph.yaml composed in-process, recomposed when it or a subgraph schema changes;
 * - otherwise (production) the repository's supergraph.graphql, reloaded like any given file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { createLogger, parseEnv, startTelemetry, stopOnSignals, type Logger } from '@azora/kit';
import type { LivePolicy } from './auth/live-policy';
import { choosePolicy } from './auth/policy-file';
import { apiSchemaOf } from './auth/supergraph-policy';
import { composeFromConfig } from './compose';
import { routerEnvSchema, routerProductionRules, routerAuthOf, subscriptionLimitsOf, type RouterEnv } from './config';
import { composedSupergraph, supergraphFile } from './reload/supergraph-source';
import { SUPERGRAPH_CONFIG, SUPERGRAPH_FILE } from './repo-composition';
import { startRouter } from './router';
import { toRouterSettings, type RouterSettings } from './settings';
import { readSupergraphConfig, subgraphUrlsFromEnv } from './supergraph-config';

interface SupergraphSource {
  /** What the gateway is given. */
  sdl: string | SupergraphSdlHook;
  /** The supergraph as it is now, read again (to check a policy file against before serving). */
  current(): string;
}

function supergraphSource(
  file: string | undefined,
  configFile: string | undefined,
  settings: RouterSettings,
  log: Logger,
): SupergraphSource {
  const { enabled, pollMs } = settings.reload;
  const config = configFile ?? SUPERGRAPH_CONFIG;
  if (!file && settings.nodeEnv !== 'production' && existsSync(config)) {
    log.info({ config, hotReload: enabled }, 'composing the supergraph from its config');
    const compose = () => composeFromConfig(readSupergraphConfig(config)).supergraphSdl;
    return { sdl: enabled ? composedSupergraph(config, pollMs, log) : compose(), current: compose };
  }
  const path = file ?? SUPERGRAPH_FILE;
  log.info({ supergraph: path, hotReload: enabled }, 'serving a supergraph file');
  const read = () => readFileSync(path, 'utf8');
  return { sdl: enabled ? supergraphFile(path, pollMs, log) : read(), current: read };
}

async function main(): Promise<void> {
  const log = createLogger('router');
  const { values } = parseArgs({ options: { supergraph: { type: 'string' }, policy: { type: 'string' } } });
  let env: RouterEnv;
  let settings: RouterSettings;
  let source: SupergraphSource;
  let policy: LivePolicy;
  try {
    env = parseEnv(routerEnvSchema, process.env, [routerProductionRules]);
    log.level = env.LOG_LEVEL;
    settings = toRouterSettings(env);
    source = supergraphSource(
      values.supergraph ?? env.AZORA_SUPERGRAPH_FILE,
      env.AZORA_SUPERGRAPH_CONFIG,
      settings,
      log,
    );
    // Checked against the supergraph before anything listens: a policy naming a missing field or rule fails here.
    policy = choosePolicy({
      policy: values.policy ?? env.AZORA_POLICY_FILE,
      nodeEnv: env.NODE_ENV,
      confirmation: env.AZORA_CONFIRM_PERMISSIVE_POLICY,
      apiSchema: () => apiSchemaOf(source.current()),
      log,
      reloadPollMs: settings.reload.enabled ? settings.reload.pollMs : undefined,
    });
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  const telemetry = startTelemetry('router');
  const router = await startRouter({
    supergraphSdl: source.sdl,
    policy,
    subgraphUrls: subgraphUrlsFromEnv(process.env),
    port: env.PORT,
    host: env.HOST,
    nodeEnv: env.NODE_ENV,
    logger: log,
    settings,
    auth: routerAuthOf(env),
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
