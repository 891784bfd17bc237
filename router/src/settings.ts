import { z } from 'zod';
import { nodeEnvSchema, parseEnv, type EnvRule, type NodeEnv } from '@azora/kit';

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

/**
 * Every router setting that the environment can change, with its safe default. README's Environment table lists the
 * same variables; a test keeps the two in step.
 */
export const routerSettingsEnv = z.object({
  NODE_ENV: nodeEnvSchema,
  // HTTP
  AZORA_MAX_BODY_BYTES: int(1024, 16 * 1024 * 1024, 256 * 1024),
  AZORA_BATCHING: flag(false),
  AZORA_BATCH_MAX_OPERATIONS: int(1, 100, 10),
  /** Express `trust proxy`: `false`, `true`, a hop count or a list of addresses (`loopback, 10.0.0.0/8`). */
  AZORA_TRUST_PROXY: z.string().default('false'),
  // Operation limits
  AZORA_LIMIT_MAX_DEPTH: int(1, 100, 10),
  AZORA_LIMIT_MAX_ALIASES: int(0, 1000, 15),
  AZORA_LIMIT_MAX_DIRECTIVES: int(0, 1000, 20),
  AZORA_LIMIT_MAX_TOKENS: int(10, 100_000, 1000),
  AZORA_LIMIT_MAX_DOCUMENT_BYTES: int(100, 1024 * 1024, 16 * 1024),
  AZORA_LIMIT_MAX_COST: int(1, 10_000_000, 5000),
  AZORA_LIMIT_DEFAULT_LIST_SIZE: int(1, 10_000, 10),
  AZORA_LIMIT_MAX_PAGE_SIZE: int(1, 10_000, 100),
  // Rate limiting
  AZORA_RATE_LIMIT: flag(true),
  AZORA_RATE_LIMIT_CAPACITY: int(1, 1_000_000_000, 10_000),
  AZORA_RATE_LIMIT_REFILL_PER_SECOND: int(1, 1_000_000_000, 1000),
  AZORA_RATE_LIMIT_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/)
    .default('azora:rl'),
  AZORA_REDIS_URL: z.string().url().optional(),
  // Trusted documents
  AZORA_TRUSTED_DOCUMENTS: z.enum(['off', 'allow', 'enforce']).optional(),
  AZORA_TRUSTED_DOCUMENTS_MANIFEST: z.string().optional(),
  AZORA_APQ: flag(true),
  // Resilience
  AZORA_SUBGRAPH_TIMEOUT_MS: int(100, 120_000, 10_000),
  AZORA_REQUEST_DEADLINE_MS: int(100, 300_000, 30_000),
  AZORA_RETRY_MAX_ATTEMPTS: int(1, 5, 2),
  AZORA_RETRY_BUDGET_RATIO: z.coerce.number().min(0).max(1).default(0.1),
  AZORA_RETRY_MIN_PER_SECOND: int(0, 1000, 5),
  AZORA_BREAKER_THRESHOLD: int(1, 1000, 5),
  AZORA_BREAKER_HALF_OPEN_MS: int(10, 600_000, 5000),
  AZORA_HEALTH_CHECK_INTERVAL_MS: int(50, 600_000, 5000),
  AZORA_SUBGRAPH_CONNECTIONS: int(1, 4096, 128),
  AZORA_SUBGRAPH_DEDUPLICATION: flag(true),
  // Hot reload and shutdown
  AZORA_HOT_RELOAD: flag(true),
  AZORA_RELOAD_POLL_MS: int(20, 60_000, 1000),
  AZORA_SHUTDOWN_DELAY_MS: int(0, 120_000, 0),
  AZORA_SHUTDOWN_TIMEOUT_MS: int(100, 600_000, 10_000),
});
export type RouterSettingsEnv = z.infer<typeof routerSettingsEnv>;

/** Cross-variable rules, read from the raw environment so they run even when one variable is malformed. */
export const routerSettingsRules: EnvRule = (env) => [
  ...(env.AZORA_TRUSTED_DOCUMENTS === 'enforce' && !env.AZORA_TRUSTED_DOCUMENTS_MANIFEST
    ? ['AZORA_TRUSTED_DOCUMENTS_MANIFEST: AZORA_TRUSTED_DOCUMENTS=enforce needs a manifest file']
    : []),
  ...(Number(env.AZORA_RATE_LIMIT_CAPACITY ?? 10_000) < Number(env.AZORA_LIMIT_MAX_COST ?? 5000)
    ? [
        'AZORA_RATE_LIMIT_CAPACITY: must be at least AZORA_LIMIT_MAX_COST, or an allowed operation could never be afforded',
      ]
    : []),
];

export type TrustedDocumentsMode = 'off' | 'allow' | 'enforce';

export interface RouterSettings {
  nodeEnv: NodeEnv;
  http: { maxBodyBytes: number; batching: boolean; batchMaxOperations: number; trustProxy: boolean | number | string };
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxDirectives: number;
    maxTokens: number;
    maxDocumentBytes: number;
    maxCost: number;
    /** The size assumed for a list field that takes no `first` argument. */
    defaultListSize: number;
    /** The largest `first` accepted on a connection. */
    maxPageSize: number;
  };
  rateLimit: { enabled: boolean; capacity: number; refillPerSecond: number; prefix: string; redisUrl?: string };
  trustedDocuments: { mode: TrustedDocumentsMode; manifestFile?: string; apq: boolean };
  resilience: {
    subgraphTimeoutMs: number;
    requestDeadlineMs: number;
    retry: { maxAttempts: number; budgetRatio: number; minPerSecond: number };
    breaker: { threshold: number; halfOpenMs: number };
    healthCheckIntervalMs: number;
    connectionsPerReplica: number;
    /** Identical queries in flight at once (same body, same caller) share one subgraph fetch. */
    deduplicateQueries: boolean;
  };
  reload: { enabled: boolean; pollMs: number };
  shutdown: { delayMs: number; timeoutMs: number };
}

function trustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

export function toRouterSettings(env: RouterSettingsEnv): RouterSettings {
  const mode = env.AZORA_TRUSTED_DOCUMENTS ?? (env.AZORA_TRUSTED_DOCUMENTS_MANIFEST ? 'allow' : 'off');
  return {
    nodeEnv: env.NODE_ENV,
    http: {
      maxBodyBytes: env.AZORA_MAX_BODY_BYTES,
      batching: env.AZORA_BATCHING,
      batchMaxOperations: env.AZORA_BATCH_MAX_OPERATIONS,
      trustProxy: trustProxy(env.AZORA_TRUST_PROXY),
    },
    limits: {
      maxDepth: env.AZORA_LIMIT_MAX_DEPTH,
      maxAliases: env.AZORA_LIMIT_MAX_ALIASES,
      maxDirectives: env.AZORA_LIMIT_MAX_DIRECTIVES,
      maxTokens: env.AZORA_LIMIT_MAX_TOKENS,
      maxDocumentBytes: env.AZORA_LIMIT_MAX_DOCUMENT_BYTES,
      maxCost: env.AZORA_LIMIT_MAX_COST,
      defaultListSize: env.AZORA_LIMIT_DEFAULT_LIST_SIZE,
      maxPageSize: env.AZORA_LIMIT_MAX_PAGE_SIZE,
    },
    rateLimit: {
      enabled: env.AZORA_RATE_LIMIT,
      capacity: env.AZORA_RATE_LIMIT_CAPACITY,
      refillPerSecond: env.AZORA_RATE_LIMIT_REFILL_PER_SECOND,
      prefix: env.AZORA_RATE_LIMIT_PREFIX,
      redisUrl: env.AZORA_REDIS_URL,
    },
    // Registering arbitrary documents through APQ would defeat the manifest, so enforce mode turns APQ off.
    trustedDocuments: {
      mode,
      manifestFile: env.AZORA_TRUSTED_DOCUMENTS_MANIFEST,
      apq: env.AZORA_APQ && mode !== 'enforce',
    },
    resilience: {
      subgraphTimeoutMs: env.AZORA_SUBGRAPH_TIMEOUT_MS,
      requestDeadlineMs: env.AZORA_REQUEST_DEADLINE_MS,
      retry: {
        maxAttempts: env.AZORA_RETRY_MAX_ATTEMPTS,
        budgetRatio: env.AZORA_RETRY_BUDGET_RATIO,
        minPerSecond: env.AZORA_RETRY_MIN_PER_SECOND,
      },
      breaker: { threshold: env.AZORA_BREAKER_THRESHOLD, halfOpenMs: env.AZORA_BREAKER_HALF_OPEN_MS },
      healthCheckIntervalMs: env.AZORA_HEALTH_CHECK_INTERVAL_MS,
      connectionsPerReplica: env.AZORA_SUBGRAPH_CONNECTIONS,
      deduplicateQueries: env.AZORA_SUBGRAPH_DEDUPLICATION,
    },
    reload: { enabled: env.AZORA_HOT_RELOAD, pollMs: env.AZORA_RELOAD_POLL_MS },
    shutdown: { delayMs: env.AZORA_SHUTDOWN_DELAY_MS, timeoutMs: env.AZORA_SHUTDOWN_TIMEOUT_MS },
  };
}

/** Router settings from an environment (defaults for everything unset); throws a ConfigError listing every problem. */
export function parseRouterSettings(env: NodeJS.ProcessEnv = process.env): RouterSettings {
  return toRouterSettings(parseEnv(routerSettingsEnv, env, [routerSettingsRules]));
}
