import { captureLogs, seedUsers, startPlatform, statementsOf, testDialects, type Platform } from '@azora/testing';

const USERS_WITH_ACCOUNTS = /* GraphQL */ `
  query UsersWithAccounts($first: Int) {
    users(first: $first) {
      edges {
        node {
          email
          accounts {
            id
            currency
            balance {
              amount
              currency
            }
          }
        }
      }
    }
  }
`;

describe.each(testDialects())('federation through the router on %s', (dialect) => {
  let platform: Platform;
  const logs = captureLogs();

  let admin: Record<string, string>;
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'forge'], loggerFor: logs.loggerFor });
    admin = (await platform.admin()).headers;
  });
  afterAll(() => platform?.stop());

  it('resolves one query across Aegis and Mint', async () => {
    await seedUsers(platform, 3, 'cross');
    const { status, body } = await platform.request(USERS_WITH_ACCOUNTS, { first: 5 }, admin);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const nodes = body.data.users.edges.map((e: any) => e.node).filter((n: any) => n.email.startsWith('cross-'));
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      expect(node.email).toMatch(/^cross-\d@example\.test$/);
      expect(node.accounts.map((a: any) => a.currency).sort()).toEqual(['EUR', 'USD']);
      expect(node.accounts[0].balance).toEqual({ amount: '0.00', currency: node.accounts[0].currency });
    }
  });

  it('costs a constant number of SQL statements per subgraph, whatever the number of users', async () => {
    await seedUsers(platform, 12, 'nplus1');
    await platform.request(USERS_WITH_ACCOUNTS, { first: 2 }, { ...admin, 'x-request-id': `small-${dialect}` });
    await platform.request(USERS_WITH_ACCOUNTS, { first: 15 }, { ...admin, 'x-request-id': `large-${dialect}` });
    const small = statementsOf(logs.lines, `small-${dialect}`);
    const large = statementsOf(logs.lines, `large-${dialect}`);
    expect(large).toEqual(small);
    // Aegis: one statement for the page. Mint: one batched statement for every user's accounts, one for the
    // currencies their balances are formatted in.
    expect(small).toEqual({ aegis: 1, mint: 2 });
  });

  it('pages with cursors and rejects a bad page size with BAD_USER_INPUT', async () => {
    const first = await platform.request(
      `{ users(first: 2) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
      {},
      admin,
    );
    expect(first.body.data.users.pageInfo.hasNextPage).toBe(true);
    const next = await platform.request(
      `query($after: String) { users(first: 2, after: $after) { edges { node { id } } } }`,
      {
        after: first.body.data.users.pageInfo.endCursor,
      },
      admin,
    );
    const seen = first.body.data.users.edges.map((e: any) => e.node.id);
    for (const edge of next.body.data.users.edges) expect(seen).not.toContain(edge.node.id);

    const bad = await platform.request(`{ users(first: 1000) { edges { node { id } } } }`, {}, admin);
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await platform.request(`{ users(after: "not-a-cursor") { edges { node { id } } } }`, {}, admin);
    expect(badCursor.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('carries the request id from the client through the router to every subgraph', async () => {
    const requestId = `test-${dialect}-${Date.now()}`;
    const { headers } = await platform.request(
      USERS_WITH_ACCOUNTS,
      { first: 1 },
      { ...admin, 'x-request-id': requestId },
    );
    expect(headers.get('x-request-id')).toBe(requestId);
    const services = new Set(logs.lines.filter((l) => l.requestId === requestId).map((l) => l.service));
    expect(services).toEqual(new Set(['router', 'aegis', 'mint']));
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

    const { status, body } = await platform.request(USERS_WITH_ACCOUNTS, { first: 2 }, admin);
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
