import { Writable } from 'node:stream';
import { createLogger } from '@azora/kit';
import { seedUsers, startPlatform, testDialects, type Platform } from '@azora/testing';

const USERS_WITH_ACCOUNTS = /* GraphQL */ `
  query UsersWithAccounts($first: Int) {
    users(first: $first) { edges { node { email accounts { id currency balance { amount currency } } } } }
  }
`;

async function statementsDuring(platform: Platform, action: () => Promise<unknown>): Promise<Record<string, number>> {
  const read = async () =>
    Object.fromEntries(
      await Promise.all(
        Object.entries(platform.subgraphs).map(async ([name, s]) => [name, (await s.metrics.dbQueries.get()).values[0]?.value ?? 0] as const),
      ),
    );
  const before = await read();
  await action();
  const after = await read();
  return Object.fromEntries(Object.keys(after).map((name) => [name, after[name]! - before[name]!]));
}

describe.each(testDialects())('federation through the router on %s', (dialect) => {
  let platform: Platform;
  const logLines: Record<string, unknown>[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });

  beforeAll(async () => {
    platform = await startPlatform({ dialect, loggerFor: (service) => createLogger(service, 'debug', capture) });
  });
  afterAll(() => platform?.stop());

  it('resolves one query across Aegis and Mint', async () => {
    await seedUsers(platform, 3, 'cross');
    const { status, body } = await platform.request(USERS_WITH_ACCOUNTS, { first: 5 });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const nodes = body.data.users.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      expect(node.email).toMatch(/^cross-\d@example\.test$/);
      expect(node.accounts.map((a: any) => a.currency).sort()).toEqual(['EUR', 'USD']);
      expect(node.accounts[0].balance).toEqual({ amount: '0.00', currency: node.accounts[0].currency });
    }
  });

  it('costs a constant number of SQL statements per subgraph, whatever the number of users', async () => {
    await seedUsers(platform, 12, 'nplus1');
    const small = await statementsDuring(platform, () => platform.request(USERS_WITH_ACCOUNTS, { first: 2 }));
    const large = await statementsDuring(platform, () => platform.request(USERS_WITH_ACCOUNTS, { first: 15 }));
    expect(large).toEqual(small);
    // One statement in Aegis for the page; one batched statement in Mint for every user's accounts.
    expect(small).toEqual({ aegis: 1, mint: 1 });
  });

  it('pages with cursors and rejects a bad page size with BAD_USER_INPUT', async () => {
    const first = await platform.request(`{ users(first: 2) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`);
    expect(first.body.data.users.pageInfo.hasNextPage).toBe(true);
    const next = await platform.request(`query($after: String) { users(first: 2, after: $after) { edges { node { id } } } }`, {
      after: first.body.data.users.pageInfo.endCursor,
    });
    const seen = first.body.data.users.edges.map((e: any) => e.node.id);
    for (const edge of next.body.data.users.edges) expect(seen).not.toContain(edge.node.id);

    const bad = await platform.request(`{ users(first: 1000) { edges { node { id } } } }`);
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await platform.request(`{ users(after: "not-a-cursor") { edges { node { id } } } }`);
    expect(badCursor.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('carries the request id from the client through the router to every subgraph', async () => {
    const requestId = `test-${dialect}-${Date.now()}`;
    const { headers } = await platform.request(USERS_WITH_ACCOUNTS, { first: 1 }, { 'x-request-id': requestId });
    expect(headers.get('x-request-id')).toBe(requestId);
    const services = new Set(logLines.filter((l) => l.requestId === requestId).map((l) => l.service));
    expect(services).toEqual(new Set(['aegis', 'mint']));
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    const base = new URL(platform.routerUrl);
    expect((await fetch(new URL('/health', base))).status).toBe(200);
    const ready = await fetch(new URL('/ready', base));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ subgraphs: { aegis: 'up', mint: 'up' } });
    const metrics = await (await fetch(new URL('/metrics', base))).text();
    expect(metrics).toContain('azora_router_requests_total');
    const subgraphMetrics = await (await fetch(new URL('/metrics', platform.subgraphs.mint!.url))).text();
    expect(subgraphMetrics).toMatch(/azora_db_queries_total\{subgraph="mint"\} [1-9]/);
  });

  // Last: it stops a subgraph.
  it('returns partial data naming the failed subgraph, and turns /ready 503, when Mint is down', async () => {
    await platform.stopSubgraph('mint');
    const ready = await fetch(new URL('/ready', platform.routerUrl));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ subgraphs: { aegis: 'up', mint: 'down' } });

    const { status, body } = await platform.request(USERS_WITH_ACCOUNTS, { first: 2 });
    expect(status).toBe(200);
    expect(body.data.users.edges).toHaveLength(2);
    for (const edge of body.data.users.edges) {
      expect(edge.node.email).toEqual(expect.any(String));
      expect(edge.node.accounts).toBeNull();
    }
    expect(body.errors?.length).toBeGreaterThan(0);
    for (const error of body.errors!) {
      expect(error.extensions).toMatchObject({ code: 'DOWNSTREAM_UNAVAILABLE', serviceName: 'mint' });
    }
  });
});
