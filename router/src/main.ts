/**
 * The router process: `tsx router/src/main.ts [--supergraph <file>]`. Serves at http://localhost:4000/graphql:
 * - the given supergraph file (or AZORA_SUPERGRAPH_FILE), reloaded when a new file is dropped in its place;
 * - otherwise in development, supergraph.yaml composed in-process, recomposed when it or a subgraph schema changes;
 * - otherwise (production) the repository's supergraph.graphql, reloaded like any given file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { z } from 'zod';
import { createLogger, parseEnv, privateKeyFromPem, type EnvRule, type Logger } from '@azora/kit';
import { composeFromConfig } from './compose';
import { composedSupergraph, supergraphFile } from './reload/supergraph-source';
import { SUPERGRAPH_CONFIG, SUPERGRAPH_FILE } from './repo-composition';
import { startRouter } from './router';
import { routerSettingsEnv, routerSettingsRules, toRouterSettings, type RouterSettings } from './settings';
import { readSupergraphConfig, subgraphUrlsFromEnv } from './supergraph-config';

const routerEnvSchema = routerSettingsEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AZORA_SUPERGRAPH_FILE: z.string().optional(),
  AZORA_SUPERGRAPH_CONFIG: z.string().optional(),
  /** Signs identity assertions for subgraphs (Ed25519, PEM). No default: `npm start` generates a development pair. */
  AZORA_ROUTER_PRIVATE_KEY: z.string({ error: 'required: the router\'s Ed25519 private key (PEM)' }).min(1),
  AZORA_ISSUER: z.string().url().default('http://localhost:4000'),
  AZORA_JWT_AUDIENCE: z.string().min(1).default('azora'),
  /** Further OIDC issuers whose access tokens are accepted, comma-separated. */
  AZORA_OIDC_ISSUERS: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [])),
  AZORA_API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
});

const productionRules: EnvRule = (env) =>
  env.NODE_ENV === 'production' && !env.AZORA_ISSUER ? ['AZORA_ISSUER: required in production mode (no default)'] : [];

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
  let env: z.infer<typeof routerEnvSchema>;
  try {
    env = parseEnv(routerEnvSchema, process.env, [routerSettingsRules, productionRules]);
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  log.level = env.LOG_LEVEL;
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
  });
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    router.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  createLogger('router').fatal({ err: error }, 'router failed to start');
  process.exit(1);
});
