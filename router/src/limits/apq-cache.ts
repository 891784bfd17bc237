import { InMemoryLRUCache, type KeyValueCache, type KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type Redis from 'ioredis';

/** How long a registered APQ document stays in Redis when Apollo gives no TTL: a client that misses re-sends it. */
const DEFAULT_TTL_SECONDS = 24 * 60 * 60;

/**
 * Apollo Server's APQ cache kept in Redis, so a hash registered through one router replica is known to all. Apollo
 * only stores a document under the sha256 it checked the text against, so an entry can be trusted by every replica;
 * a small in-process LRU in front saves the round trip for hashes this replica has seen. Redis failing is a cache
 * miss (the client re-sends the full query, as APQ intends) and a lost write, never a failed request.
 */
export class RedisApqCache implements KeyValueCache<string> {
  private readonly local = new InMemoryLRUCache<string>({ maxSize: 8 * 1024 * 1024 });

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const near = await this.local.get(key);
    if (near !== undefined) return near;
    const far = await this.redis.get(this.prefix + key).catch(() => null);
    if (far === null) return undefined;
    await this.local.set(key, far);
    return far;
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    await this.local.set(key, value);
    const ttl = options?.ttl ?? DEFAULT_TTL_SECONDS;
    await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttl))).catch(() => undefined);
  }

  async delete(key: string): Promise<boolean> {
    await this.local.delete(key);
    return (await this.redis.del(this.prefix + key).catch(() => 0)) > 0;
  }
}
