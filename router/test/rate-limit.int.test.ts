import { randomBytes } from 'node:crypto';
import type { RunningRouter } from '@azora/router';
import {
  captureLogs,
  graphql,
  seedUsers,
  startPlatform,
  startTcpProxy,
  TEST_REDIS_URL,
  until,
  type Platform,
} from '@azora/testing';

// cost: users 1 + first (5) * (edges 1 + node 1) = 11
const PAGE = '{ users(first: 5) { edges { node { id } } } }';
const CHEAP = '{ user(id: "00000000-0000-7000-8000-000000000000") { id } }'; // cost 1

/** A bucket of 30 that refills 1 token a second: two PAGE requests fit, the third does not. */
const budget = (extra: Record<string, string> = {}) => ({
  AZORA_RATE_LIMIT_CAPACITY: '30',
  AZORA_RATE_LIMIT_REFILL_PER_SECOND: '1',
  AZORA_LIMIT_MAX_COST: '30',
  ...extra,
});

describe('rate limiting at the router', () => {
  let platform: Platform;
  /** The platform admin: listing users is theirs alone. */
  let admin: Record<string, string>;

  beforeAll(async () => {
    platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'forge'],
      router: { env: { AZORA_RATE_LIMIT: 'false' } },
    });
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 5, 'rate');
  });
  afterAll(() => platform?.stop());

  it('charges each operation its cost, sends RateLimit headers, and refuses with 429 RATE_LIMITED and Retry-After', async () => {
    const router = await platform.startRouter({ env: budget() });
    const first = await graphql(router.url, PAGE, undefined, admin);
    expect(first.status).toBe(200);
    expect(first.body.data.users.edges).toHaveLength(5);
    expect(first.headers.get('ratelimit-limit')).toBe('30');
    expect(first.headers.get('ratelimit-remaining')).toBe('19');
    expect(first.headers.get('ratelimit-policy')).toBe('30;w=30');
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(10);

    expect((await graphql(router.url, PAGE, undefined, admin)).status).toBe(200);
    const refused = await graphql(router.url, PAGE, undefined, admin);
    expect(refused.status).toBe(429);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(11);

    // What is left still buys a cheap operation.
    const cheap = await graphql(router.url, CHEAP, undefined, admin);
    expect(cheap.status).toBe(200);
    expect(cheap.body).toEqual({ data: { user: null } });
  });

  it('prices an operation with its variables when they can change the cost (`first: $n`)', async () => {
    const router = await platform.startRouter({ env: budget() });
    const remaining = async (variables: Record<string, unknown>) =>
      Number(
        (
          await graphql(router.url, 'query($n: Int) { users(first: $n) { edges { node { id } } } }', variables, admin)
        ).headers.get('ratelimit-remaining'),
      );
    expect(await remaining({ n: 1 })).toBe(27); // 1 + 1 * 2
    const afterFive = await remaining({ n: 5 });
    expect(afterFive).toBeLessThanOrEqual(17); // 27 - (1 + 5 * 2), plus at most a second's refill
    // n: 1 again costs 3, not the 11 of the n: 5 just priced: at least 3 below, plus at most a second's refill.
    const again = await remaining({ n: 1 });
    expect(again).toBeGreaterThanOrEqual(afterFive - 3);
    expect(again).toBeLessThanOrEqual(afterFive - 3 + 1);
  });

  it('keeps a bucket per caller: per user when signed in, per IP (behind a trusted proxy) when anonymous', async () => {
    const router = await platform.startRouter({ env: budget({ AZORA_TRUST_PROXY: 'loopback' }) });
    for (let i = 0; i < 2; i++) expect((await graphql(router.url, PAGE, undefined, admin)).status).toBe(200);
    expect((await graphql(router.url, PAGE, undefined, admin)).status).toBe(429);
    // Another user from the same address has a budget of their own.
    const other = await platform.signUp('rate-other');
    const me = await graphql(router.url, '{ me { id } }', undefined, other.headers);
    expect(me.status).toBe(200);
    expect(me.body.data.me.id).toBe(other.userId);

    // Anonymous callers are told apart by address, from X-Forwarded-For only because the proxy is trusted.
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const CURRENCIES = '{ currencies { code } }'; // cost 1
    let status = 200;
    for (let i = 0; i < 40 && status === 200; i++)
      status = (await graphql(router.url, CURRENCIES, undefined, from('203.0.113.1'))).status;
    expect(status).toBe(429);
    expect((await graphql(router.url, CURRENCIES, undefined, from('203.0.113.2'))).status).toBe(200);

    // Without a trusted proxy the header is ignored: both "clients" are 127.0.0.1 and share one bucket.
    const direct = await platform.startRouter({ env: budget() });
    status = 200;
    for (let i = 0; i < 40 && status === 200; i++)
      status = (await graphql(direct.url, CURRENCIES, undefined, from('198.51.100.1'))).status;
    expect(status).toBe(429);
    expect((await graphql(direct.url, CURRENCIES, undefined, from('198.51.100.2'))).status).toBe(429);
  });

  describe('across two router replicas', () => {
    const twoRouters = async (env: Record<string, string>): Promise<[RunningRouter, RunningRouter]> => [
      await platform.startRouter({ env }),
      await platform.startRouter({ env }),
    ];

    it('without Redis, each replica has a budget of its own', async () => {
      const [a, b] = await twoRouters(budget());
      const statuses = [];
      for (const router of [a, b, a, b, a, b])
        statuses.push((await graphql(router.url, PAGE, undefined, admin)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    });

    it('with AZORA_REDIS_URL, both replicas draw on one budget', async () => {
      const prefix = `azora-test:${randomBytes(6).toString('hex')}`;
      const [a, b] = await twoRouters(budget({ AZORA_REDIS_URL: TEST_REDIS_URL, AZORA_RATE_LIMIT_PREFIX: prefix }));
      const statuses = [];
      for (const router of [a, b, a, b]) statuses.push((await graphql(router.url, PAGE, undefined, admin)).status);
      expect(statuses).toEqual([200, 200, 429, 429]);
      const refused = await graphql(b.url, PAGE, undefined, admin);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await graphql(a.url, CHEAP, undefined, admin)).status).toBe(200);
    });

    it('while Redis is down, each replica limits in memory (no 500s, never unlimited), and shares Redis again once it is back', async () => {
      const redis = await startTcpProxy(Number(new URL(TEST_REDIS_URL).port || 6379), new URL(TEST_REDIS_URL).hostname);
      const logs = [captureLogs('info'), captureLogs('info')];
      const routers: RunningRouter[] = [];
      try {
        const env = budget({
          AZORA_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
          AZORA_RATE_LIMIT_PREFIX: `azora-test:${randomBytes(6).toString('hex')}`,
        });
        const a = await platform.startRouter({ env, logger: logs[0]!.loggerFor('router') });
        const b = await platform.startRouter({ env, logger: logs[1]!.loggerFor('router') });
        routers.push(a, b);
        const page = async (router: RunningRouter, who: Record<string, string>) =>
          (await graphql(router.url, PAGE, undefined, who)).status;
        const before = await platform.userWithRoles(['admin'], 'rate-before');
        expect([await page(a, before.headers), await page(b, before.headers), await page(a, before.headers)]).toEqual([
          200, 200, 429,
        ]);

        redis.cut();
        // Each replica's own bucket of 30 decides: two pages, then 429, on each; nothing fails because Redis did.
        const during = await platform.userWithRoles(['admin'], 'rate-during');
        const statuses = [];
        for (const router of [a, a, a, b, b, b]) statuses.push(await page(router, during.headers));
        expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
        const refused = await graphql(a.url, PAGE, undefined, during.headers);
        expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        for (const log of logs) {
          expect(log.lines.some((l) => l.level === 40 && /rate-limit store \(Redis\) unavailable/.test(l.msg))).toBe(
            true,
          );
        }

        // A replica started while Redis is away starts anyway and limits in memory.
        const late = await platform.startRouter({ env });
        routers.push(late);
        expect([
          await page(late, during.headers),
          await page(late, during.headers),
          await page(late, during.headers),
        ]).toEqual([200, 200, 429]);

        redis.restore();
        await until(
          'both replicas use Redis again',
          async () => {
            await Promise.all([a, b].map((router) => graphql(router.url, CHEAP, undefined, admin)));
            return logs.every((log) => log.lines.some((l) => l.msg === 'rate limiting is shared through Redis again'));
          },
          30_000,
        );
        const after = await platform.userWithRoles(['admin'], 'rate-after');
        expect([await page(a, after.headers), await page(b, after.headers), await page(a, after.headers)]).toEqual([
          200, 200, 429,
        ]);
      } finally {
        await Promise.all(routers.map((router) => router.stop()));
        await redis.close();
      }
    });
  });
});
