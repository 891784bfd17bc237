import type { ApolloServerOptions } from '@apollo/server';
import type { Logger } from '@azora/kit';
import type { RouterContext } from '../context';
import type { RateLimitOptions } from '../pipeline/use-rate-limit';
import type { RouterSettings } from '../settings';
import { graphqlHttpGuards } from './http-guards';
import { createOperationGuard, type OperationGuard } from './operation-limits';
import { RedisApqCache } from './apq-cache';
import { createRateLimiter, rateLimitKey } from './rate-limit';
import { connectRedis } from './redis';
import { loadTrustedDocuments, trustedDocumentsResolver } from './trusted-documents';

export * from './operation-limits';
export * from './rate-limit';
export * from './trusted-documents';

/** What the router's abuse protection adds to the HTTP route, to Apollo Server and to the operation pipeline. */
export interface Protection {
  guard: OperationGuard;
  /** The rate limit the operation pipeline charges (router/src/pipeline), over HTTP and WebSocket alike. */
  rateLimit: RateLimitOptions;
  /** Express handlers to put in front of Apollo Server's middleware on `/graphql`. */
  httpGuards: ReturnType<typeof graphqlHttpGuards>;
  apolloOptions: Pick<
    ApolloServerOptions<RouterContext>,
    'validationRules' | 'allowBatchedHttpRequests' | 'persistedQueries'
  >;
  close(): Promise<void>;
}

/** Where the protection reports what it refused (the router's metrics). */
export interface ProtectionCounters {
  refused(reason: string): void;
  rateLimited(transport: 'http' | 'websocket'): void;
}

/** APQ entries are content-addressed (sha256 of the text), so deployments sharing a Redis can share them too. */
const APQ_PREFIX = 'azora:apq:';

export async function createProtection(
  settings: RouterSettings,
  log: Logger,
  counters: ProtectionCounters,
): Promise<Protection> {
  const guard = createOperationGuard(settings.limits);
  const { mode, manifestFile, apq } = settings.trustedDocuments;
  const documents = manifestFile ? loadTrustedDocuments(manifestFile) : new Map<string, string>();
  // One connection for the shared rate-limit buckets and the APQ cache; each falls back on its own when Redis fails.
  const redis = settings.rateLimit.redisUrl ? await connectRedis(settings.rateLimit.redisUrl, log) : undefined;
  const limiter = settings.rateLimit.enabled ? createRateLimiter(settings.rateLimit, log, redis) : undefined;
  if (mode !== 'off') log.info({ mode, documents: documents.size }, 'trusted documents loaded');
  return {
    guard,
    rateLimit: { limiter, keyOf: rateLimitKey, onRateLimited: counters.rateLimited },
    httpGuards: graphqlHttpGuards({
      http: settings.http,
      guard,
      resolveDocument: trustedDocumentsResolver(mode, documents),
      onRefused: counters.refused,
    }),
    apolloOptions: {
      validationRules: guard.validationRules,
      allowBatchedHttpRequests: settings.http.batching,
      // With Redis, one APQ cache for every replica; without, Apollo's in-memory one per replica.
      persistedQueries: apq ? (redis ? { cache: new RedisApqCache(redis, APQ_PREFIX) } : {}) : false,
    },
    close: async () => {
      await limiter?.close();
      redis?.disconnect();
    },
  };
}
