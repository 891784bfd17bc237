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
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  rules: EnvRule[] = [],
): z.infer<S> {
  const result = schema.safeParse(env);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`)),
    // Cross-variable rules read the raw environment so they run even when a single variable is malformed.
    ...rules.flatMap((rule) => rule(env)),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** The problems a settings loader reports, for a start-up report that lists everything at once. */
export function problemsOf(load: () => unknown): string[] {
  try {
    load();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** A rule across several variables; returns its problems as `NAME: message` lines. */
export type EnvRule = (env: NodeJS.ProcessEnv) => string[];

/** Production refuses development conveniences: the embedded database and demo data. */
export const subgraphProductionRules: EnvRule = (env) =>
  env.NODE_ENV !== 'production'
    ? []
    : [
        ...(!env.DATABASE_URL && !env.AZORA_DATABASE_URL
          ? [
              'DATABASE_URL: production mode needs DATABASE_URL or AZORA_DATABASE_URL (the SQLite default is for development)',
            ]
          : []),
        ...(env.AZORA_DEMO_DATA === 'true' ? ['AZORA_DEMO_DATA: demo data is refused in production mode'] : []),
      ];

/**
 * A subgraph serving on its own in production needs the shared event bus: the in-process one reaches only its own
 * process, so its events would never get to Nexus, to the other subgraphs' consumers or to its other replicas.
 * (`npm start` runs every subgraph in one process and may use the in-process bus; migrations need no bus.)
 */
export const subgraphServiceProductionRules: EnvRule = (env) =>
  env.NODE_ENV === 'production' && !env.AZORA_REDIS_URL
    ? ['AZORA_REDIS_URL: production mode needs the shared event bus (Redis); events would not leave this process']
    : [];

export const nodeEnvSchema = z.enum(['development', 'test', 'production']).default('development');
export type NodeEnv = z.infer<typeof nodeEnvSchema>;

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z.string().url().optional();

/** Where a subgraph's database is: what the subgraph, the migration job and backups all read. */
export const databaseEnvSchema = z.object({
  NODE_ENV: nodeEnvSchema,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Server URL; each subgraph gets its own database `azora_<subgraph>` on it, created if missing. */
  AZORA_DATABASE_URL: optionalUrl,
  /** This subgraph's own database; overrides AZORA_DATABASE_URL (production, one container per subgraph). */
  DATABASE_URL: optionalUrl,
  /** Where the embedded default keeps its SQLite files. */
  AZORA_DATA_DIR: z.string().default('.data'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
});

/** The environment every subgraph process reads. Domain-specific settings are checked by the subgraph. */
export const subgraphEnvSchema = databaseEnvSchema.extend({
  PORT: port.optional(),
  HOST: z.string().default('0.0.0.0'),
  /** Seed demo data into an empty database (development only). */
  AZORA_DEMO_DATA: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
  /** The router's Ed25519 public key (PEM): subgraphs accept only requests whose identity it signed. */
  AZORA_ROUTER_PUBLIC_KEY: z
    .string({ error: "required: the router's public key (PEM); `npm start` generates a development pair" })
    .min(1),
  /** Redis for the event bus across processes; without it, events stay inside this process (the embedded default). */
  AZORA_REDIS_URL: optionalUrl,
  /** `false` where a migration job runs before the services (Compose, Kubernetes): start refuses a database behind. */
  AZORA_MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
});
