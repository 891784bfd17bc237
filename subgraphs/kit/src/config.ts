import { z } from 'zod';

/** Thrown at start-up when the environment is invalid; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with a zod schema once, at start-up. Every issue is reported together so an operator fixes
 * the whole environment in one go instead of one variable per restart.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  return result.data;
}

export const nodeEnvSchema = z.enum(['development', 'test', 'production']).default('development');
export type NodeEnv = z.infer<typeof nodeEnvSchema>;

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z.string().url().optional();

/** The environment every subgraph process reads. Domain-specific settings extend it. */
export const subgraphEnvSchema = z
  .object({
    NODE_ENV: nodeEnvSchema,
    PORT: port.optional(),
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Server URL; each subgraph gets its own database `azora_<subgraph>` on it, created if missing. */
    AZORA_DATABASE_URL: optionalUrl,
    /** This subgraph's own database; overrides AZORA_DATABASE_URL (production, one container per subgraph). */
    DATABASE_URL: optionalUrl,
    /** Where the embedded default keeps its SQLite files. */
    AZORA_DATA_DIR: z.string().default('.data'),
    /** Seed demo data into an empty database (development only). */
    AZORA_DEMO_DATA: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => v === 'true'),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.DATABASE_URL && !env.AZORA_DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'production mode needs DATABASE_URL or AZORA_DATABASE_URL (the SQLite default is for development)',
      });
    }
    if (env.NODE_ENV === 'production' && env.AZORA_DEMO_DATA) {
      ctx.addIssue({ code: 'custom', path: ['AZORA_DEMO_DATA'], message: 'demo data is refused in production mode' });
    }
  });
export type SubgraphEnv = z.infer<typeof subgraphEnvSchema>;
