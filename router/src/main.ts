/**
 * The router process: `tsx router/src/main.ts [--supergraph <file>]`. Reads the composed supergraph (default: the
 * repository's supergraph.graphql) and serves it at http://localhost:4000/graphql.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger, nodeEnvSchema, parseEnv, startTelemetry, stopOnSignals } from '@azora/kit';
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
});

async function main(): Promise<void> {
  const log = createLogger('router');
  const { values } = parseArgs({ options: { supergraph: { type: 'string' } } });
  let env: z.infer<typeof routerEnvSchema>;
  try {
    env = parseEnv(routerEnvSchema);
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
