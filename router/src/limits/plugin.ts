import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { DomainError } from '@azora/kit';
import type { RouterContext } from '../context';
import type { OperationArgs, OperationGuard } from './operation-limits';
import type { RateLimiter } from './rate-limit';

export interface OperationLimitsOptions {
  guard: OperationGuard;
  limiter?: RateLimiter;
  keyOf: (context: RouterContext) => string;
  /** Counts a refusal, by the transport the operation came over. */
  onRateLimited: (transport: 'http' | 'websocket') => void;
}

export interface Admission {
  /** `RateLimit-*` headers to send (none without a limiter). */
  headers: [string, string][];
  /** RATE_LIMITED (HTTP 429 with Retry-After) when the caller cannot afford the operation. */
  refusal?: DomainError;
}

/**
 * The checks an operation passes once it is parsed, validated (with the guard's rules) and chosen, over HTTP and
 * WebSocket alike: page sizes and static cost with its variables (throws OperationLimitError), then the cost charged
 * to the caller's token bucket. An event a subscription delivers is not charged again: subscribing was.
 */
export function operationAdmission({ guard, limiter, keyOf, onRateLimited }: OperationLimitsOptions) {
  return async (
    operation: OperationArgs,
    context: RouterContext,
    transport: 'http' | 'websocket' = 'http',
  ): Promise<Admission> => {
    const cost = guard.checkOperation(operation);
    if (!limiter || context.subscriptionEvent) return { headers: [] };
    const decision = await limiter.take(keyOf(context), Math.max(1, cost));
    const headers = limiter.headers(decision);
    if (decision.allowed) return { headers };
    onRateLimited(transport);
    const refusal = new DomainError('RATE_LIMITED', 'Rate limit exceeded; retry after the time in Retry-After', {
      retryAfterSeconds: Number(headers.find(([name]) => name === 'retry-after')?.[1]),
      http: { status: 429, headers: new HeaderMap(headers) },
    });
    return { headers, refusal };
  };
}
export type OperationAdmission = ReturnType<typeof operationAdmission>;

/** Runs the admission for every operation Apollo Server resolves; each operation of a batch on its own. */
export function operationLimitsPlugin(admit: OperationAdmission): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request, contextValue, response }) {
          const { headers, refusal } = await admit(
            { schema, document, operationName, variables: request.variables },
            contextValue,
          );
          for (const [name, value] of headers) response.http.headers.set(name, value);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
