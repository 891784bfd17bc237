import Redis from 'ioredis';
import type { Logger } from '@azora/kit';

/** How long start-up waits for Redis before carrying on without it. */
const START_WAIT_MS = 3_000;

/**
 * The router's one Redis connection (rate-limit buckets, the APQ cache), shared by its users. Redis helps the router
 * but never stops it: no offline queue and one retry, so a slow or absent Redis fails a command at once (its users
 * fall back) instead of holding requests; a router whose Redis is down at start starts anyway (after waiting a moment), and ioredis keeps
 * reconnecting. Losing and regaining the connection is logged once each.
 */
export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500 });
  let up = false;
  redis.on('ready', () => {
    up = true;
    log.info('redis connected');
  });
  redis.on('error', (error) => {
    if (!up) return; // still connecting or already reported: ioredis retries on its own
    up = false;
    log.warn({ err: error }, 'redis connection lost; the router carries on without it and reconnects');
  });
  redis.on('close', () => {
    if (up) log.warn('redis connection lost; the router carries on without it and reconnects');
    up = false;
  });
  // Give it a moment at start, so a healthy Redis serves the first request; an absent one does not hold start-up.
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), START_WAIT_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready)
    log.warn(
      { redis: url.replace(/\/\/[^@/]*@/, '//***@') },
      'redis unavailable at start; carrying on without it until it answers',
    );
  return redis;
}
