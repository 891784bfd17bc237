/**
 * The router process: `tsx router/src/main.ts [--supergraph <file>]`. Reads the composed supergraph (default: the
 * repository's supergraph.graphql) and serves it at http://localhost:4000/graphql.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger, nodeEnvSchema, parseEnv, privateKeyFromPem, type EnvRule } from '@azora/kit';
import { subgraphsOf } from './compose';
import { SUPERGRAPH_FILE } from './repo-composition';
import { startRouter } from './router';
import { subgraphUrlVariable } from './supergraph-config';

const routerEnvSchema = z.object({
  NODE_ENV: nodeEnvSchema,
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AZORA_SUPERGRAPH_FILE: z.string().optional(),
  AZORA_SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
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

async function main(): Promise<void> {
  const log = createLogger('router');
  const { values } = parseArgs({ options: { supergraph: { type: 'string' } } });
  let env: z.infer<typeof routerEnvSchema>;
  try {
    env = parseEnv(routerEnvSchema, process.env, [productionRules]);
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  log.level = env.LOG_LEVEL;
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
