import { HeaderMap } from '@apollo/server';
import { DomainError } from '@azora/kit';
import type { RouterContext } from '../context';
import type { RateLimiter } from '../limits/rate-limit';
import type { Stage, Transport } from './types';

export interface RateLimitOptions {
  /** Without one, nothing is charged and no header is sent. */
  limiter?: RateLimiter;
  keyOf: (context: RouterContext) => string;
  /** Counts a refusal, by the transport the operation came over. */
  onRateLimited: (transport: Transport) => void;
}

/**
 * Charges the operation's cost (at least 1) to the caller's token bucket: `RateLimit-*` headers on every answer,
 * RATE_LIMITED (HTTP 429 with Retry-After) when the caller cannot afford it. The last stage, so only an operation that
 * may run is charged. An event a subscription delivers is not charged again: subscribing was.
 */
export function useRateLimit({ limiter, keyOf, onRateLimited }: RateLimitOptions): Stage {
  return async (operation, context, transport) => {
    if (!limiter || context.subscriptionEvent) return;
    const decision = await limiter.take(keyOf(context), Math.max(1, operation.cost));
    const headers = limiter.headers(decision);
    operation.headers.push(...headers);
    if (decision.allowed) return;
    onRateLimited(transport);
    return [
      new DomainError('RATE_LIMITED', 'Rate limit exceeded; retry after the time in Retry-After', {
        retryAfterSeconds: Number(headers.find(([name]) => name === 'retry-after')?.[1]),
        http: { status: 429, headers: new HeaderMap(headers) },
      }),
    ];
  };
}
