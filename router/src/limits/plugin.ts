import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { DomainError } from '@azora/kit';
import type { RouterContext } from '../context';
import type { OperationGuard } from './operation-limits';
import type { RateLimiter } from './rate-limit';

export interface OperationLimitsPluginOptions {
  guard: OperationGuard;
  limiter?: RateLimiter;
  keyOf: (context: RouterContext) => string;
}

/**
 * Once Apollo Server has parsed, validated (with the guard's rules) and picked the operation: checks page sizes and
 * static cost with the request's variables, then charges the cost to the caller's token bucket. Each operation of a
 * batch goes through this on its own, so each counts toward the limits and the rate.
 */
export function operationLimitsPlugin({ guard, limiter, keyOf }: OperationLimitsPluginOptions): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request, contextValue, response }) {
          const cost = guard.checkOperation({ schema, document, operationName, variables: request.variables });
          if (!limiter) return;
          const decision = await limiter.take(keyOf(contextValue), Math.max(1, cost));
          const headers = limiter.headers(decision);
          for (const [name, value] of headers) response.http.headers.set(name, value);
          if (!decision.allowed) {
            throw new DomainError('RATE_LIMITED', 'Rate limit exceeded; retry after the time in Retry-After', {
              retryAfterSeconds: Number(headers.find(([name]) => name === 'retry-after')?.[1]),
              http: { status: 429, headers: new HeaderMap(headers) },
            });
          }
        },
      };
    },
  };
}
