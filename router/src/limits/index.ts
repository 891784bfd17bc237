import type { ApolloServerOptions } from '@apollo/server';
import type { Logger } from '@azora/kit';
import type { RouterContext } from '../context';
import type { RouterSettings } from '../settings';
import { graphqlHttpGuards } from './http-guards';
import { createOperationGuard, type OperationGuard } from './operation-limits';
import { operationAdmission, operationLimitsPlugin, type OperationAdmission } from './plugin';
import { createRateLimiter, rateLimitKey, type RateLimiter } from './rate-limit';
import { loadTrustedDocuments, trustedDocumentsResolver } from './trusted-documents';

export * from './operation-limits';
export * from './rate-limit';
export * from './trusted-documents';

/** What the router's abuse protection adds to the HTTP route and to Apollo Server. */
export interface Protection {
  guard: OperationGuard;
  limiter?: RateLimiter;
  /** Cost and rate checks of a resolved operation, for Apollo Server's plugin and the WebSocket server alike. */
  admit: OperationAdmission;
  /** Express handlers to put in front of Apollo Server's middleware on `/graphql`. */
  httpGuards: ReturnType<typeof graphqlHttpGuards>;
  plugin: ReturnType<typeof operationLimitsPlugin>;
  apolloOptions: Pick<ApolloServerOptions<RouterContext>, 'validationRules' | 'allowBatchedHttpRequests' | 'persistedQueries'>;
  close(): Promise<void>;
}

/** Where the protection reports what it refused (the router's metrics). */
export interface ProtectionCounters {
  refused(reason: string): void;
  rateLimited(transport: 'http' | 'websocket'): void;
}

export async function createProtection(settings: RouterSettings, log: Logger, counters?: ProtectionCounters): Promise<Protection> {
  const guard = createOperationGuard(settings.limits);
  const { mode, manifestFile, apq } = settings.trustedDocuments;
  const documents = manifestFile ? loadTrustedDocuments(manifestFile) : new Map<string, string>();
  const limiter = settings.rateLimit.enabled ? await createRateLimiter(settings.rateLimit, log) : undefined;
  if (mode !== 'off') log.info({ mode, documents: documents.size }, 'trusted documents loaded');
  const admit = operationAdmission({ guard, limiter, keyOf: rateLimitKey, onRateLimited: counters?.rateLimited });
  return {
    guard,
    limiter,
    admit,
    httpGuards: graphqlHttpGuards({ http: settings.http, guard, resolveDocument: trustedDocumentsResolver(mode, documents), onRefused: counters?.refused }),
    plugin: operationLimitsPlugin(admit),
    apolloOptions: {
      validationRules: guard.validationRules,
      allowBatchedHttpRequests: settings.http.batching,
      // Apollo's in-memory APQ cache (per replica: a client that misses re-sends the full query once).
      persistedQueries: apq ? {} : false,
    },
    close: async () => limiter?.close(),
  };
}
