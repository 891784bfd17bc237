import type Redis from 'ioredis';
import type { Logger } from '@azora/kit';
import type { RouterContext } from '../context';
import type { RouterSettings } from '../settings';

type RateLimitSettings = RouterSettings['rateLimit'];

/**
 * Whose budget an operation is charged to: the verified caller (a user, whichever credential they used, or an OAuth
 * client), and the client's IP address for anonymous requests.
 */
export function rateLimitKey(context: RouterContext): string {
  const { identity } = context;
  if (identity?.userId) return `${identity.kind === 'client' ? 'client' : 'user'}:${identity.userId}`;
  return `ip:${context.clientIp}`;
}

export interface BucketDecision {
  allowed: boolean;
  /** Whole tokens left after this operation. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until the refused operation could be afforded; 0 when allowed. */
  retryAfterMs: number;
}

interface BucketStore {
  /** Refills the bucket for the time passed, then takes `cost` tokens if there are enough; returns the tokens left. */
  take(key: string, cost: number): Promise<{ allowed: boolean; tokens: number }>;
}

/** One bucket per key in this process. Full buckets are forgotten, so memory follows the active clients. */
class MemoryBuckets implements BucketStore {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
  ) {
    const fullAfterMs = Math.ceil(capacity / perMs);
    this.sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const [key, bucket] of this.buckets) if (now - bucket.at >= fullAfterMs) this.buckets.delete(key);
      },
      Math.min(Math.max(fullAfterMs, 1000), 60_000),
    ).unref();
  }

  async take(key: string, cost: number) {
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    const allowed = bucket.tokens >= cost;
    if (allowed) bucket.tokens -= cost;
    this.buckets.set(key, bucket);
    return { allowed, tokens: bucket.tokens };
  }

  async close() {
    clearInterval(this.sweeper);
  }
}

/**
 * The same bucket in Redis, refilled and taken in one script so replicas never race, on Redis's clock so replicas'
 * clocks do not matter. A key expires once its bucket would be full again.
 */
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 1000)
return { allowed, tostring(tokens) }
`;

type RedisWithTake = Redis & {
  azoraTakeTokens(key: string, capacity: number, perMs: number, cost: number): Promise<[number, string]>;
};

class RedisBuckets implements BucketStore {
  private readonly redis: RedisWithTake;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly capacity: number,
    private readonly perMs: number,
  ) {
    redis.defineCommand('azoraTakeTokens', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.redis = redis as RedisWithTake;
  }

  async take(key: string, cost: number) {
    const [allowed, tokens] = await this.redis.azoraTakeTokens(
      `${this.prefix}:${key}`,
      this.capacity,
      this.perMs,
      cost,
    );
    return { allowed: allowed === 1, tokens: Number(tokens) };
  }
}

export interface RateLimiter {
  /**
   * Charges `cost` tokens to `key`. Never throws: while the shared store (Redis) fails, this replica's own in-memory
   * buckets decide, so limits still hold (per replica) and nothing fails because Redis did.
   */
  take(key: string, cost: number): Promise<BucketDecision>;
  /** The `RateLimit-*` headers for a decision (IETF draft), plus `Retry-After` when refused. */
  headers(decision: BucketDecision): [string, string][];
  close(): Promise<void>;
}

/**
 * A token bucket per key: `capacity` tokens, refilled at `refillPerSecond`, an operation costing its static cost.
 * In memory by default; in Redis when a connection is given, so every router replica draws on the same budget. While
 * Redis fails, an in-memory insurance bucket per key on each replica takes over (a warning is logged; with N replicas
 * a caller may get up to N budgets until Redis is back), and Redis decides again as soon as it answers.
 */
export function createRateLimiter(settings: RateLimitSettings, log: Logger, redis?: Redis): RateLimiter {
  const { capacity, refillPerSecond } = settings;
  const perMs = refillPerSecond / 1000;
  const memory = new MemoryBuckets(capacity, perMs);
  const shared = redis ? new RedisBuckets(redis, settings.prefix, capacity, perMs) : undefined;
  let lastWarning = 0;
  let degraded = false;
  const windowSeconds = Math.ceil(capacity / refillPerSecond);
  const take = async (key: string, cost: number) => {
    if (!shared) return memory.take(key, cost);
    try {
      const result = await shared.take(key, cost);
      if (degraded) log.info('rate limiting is shared through Redis again');
      degraded = false;
      return result;
    } catch (error) {
      degraded = true;
      if (Date.now() - lastWarning > 10_000) {
        lastWarning = Date.now();
        log.warn(
          { err: error },
          "rate-limit store (Redis) unavailable; limiting with this replica's in-memory buckets",
        );
      }
      return memory.take(key, cost);
    }
  };
  return {
    async take(key, cost) {
      const result = await take(key, cost);
      return {
        allowed: result.allowed,
        remaining: Math.floor(result.tokens),
        resetMs: Math.ceil((capacity - result.tokens) / perMs),
        retryAfterMs: result.allowed ? 0 : Math.ceil((cost - result.tokens) / perMs),
      };
    },
    headers(decision) {
      const headers: [string, string][] = [
        ['ratelimit-limit', String(capacity)],
        ['ratelimit-remaining', String(decision.remaining)],
        ['ratelimit-reset', String(Math.ceil(decision.resetMs / 1000))],
        ['ratelimit-policy', `${capacity};w=${windowSeconds}`],
      ];
      if (!decision.allowed)
        headers.push(['retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))]);
      return headers;
    },
    // The Redis connection is the router's (limits/redis.ts), closed by its owner.
    close: () => memory.close(),
  };
}
