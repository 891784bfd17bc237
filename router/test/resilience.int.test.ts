import type { RunningRouter } from '@azora/router';
import {
  gate,
  graphql,
  policyAllowing,
  seedUsers,
  startFaultProxy,
  startFixtureSubgraph,
  startPlatform,
  type FaultProxy,
  type Gate,
  type Platform,
  until,
  metricValue,
} from '@azora/testing';

/** The platform admin of the running describe block: listing users is theirs alone. */
let admin: Record<string, string> = {};

const USERS_WITH_ACCOUNTS = '{ users(first: 3) { edges { node { email accounts { currency } } } } }';

/** One sample of a Prometheus metric from the router's /metrics, by name and labels. */
const metric = (router: RunningRouter, name: string, labels: Record<string, string>) =>
  metricValue(router.url, name, labels);

function expectFull(body: any): void {
  expect(body.errors).toBeUndefined();
  expect(body.data.users.edges.length).toBeGreaterThan(0);
  // Every user's accounts came back (the platform admin has none; the seeded users have two each).
  for (const edge of body.data.users.edges) expect(Array.isArray(edge.node.accounts)).toBe(true);
  expect(body.data.users.edges.some((e: any) => e.node.accounts.length > 0)).toBe(true);
}

function expectMintMissing(body: any, reason: string): void {
  expect(body.data.users.edges.length).toBeGreaterThan(0);
  for (const edge of body.data.users.edges) {
    expect(edge.node.email).toEqual(expect.any(String));
    expect(edge.node.accounts).toBeNull();
  }
  expect(body.errors.length).toBeGreaterThan(0);
  for (const error of body.errors)
    expect(error.extensions).toMatchObject({ code: 'DOWNSTREAM_UNAVAILABLE', serviceName: 'mint', reason });
}

describe('a subgraph that dies and comes back', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'forge'],
      router: {
        // The half-open delay is long enough that a busy machine (2 s was passed at a load average of 19) cannot pass
        // it between the third failure and the next request, which must meet the open circuit; the test then waits
        // for the probe, not for a duration.
        env: {
          AZORA_BREAKER_THRESHOLD: '3',
          AZORA_BREAKER_HALF_OPEN_MS: '5000',
          AZORA_HEALTH_CHECK_INTERVAL_MS: '100',
        },
      },
    });
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 3, 'revive');
  });
  afterAll(() => platform?.stop());

  it('answers partial data while it is down, opens its circuit, and closes it after a successful probe', async () => {
    expectFull((await platform.request(USERS_WITH_ACCOUNTS, undefined, admin)).body);
    await platform.stopSubgraph('mint');

    for (let i = 0; i < 3; i++)
      expectMintMissing((await platform.request(USERS_WITH_ACCOUNTS, undefined, admin)).body, 'unreachable');
    // The next request at once, before anything else can let the half-open delay pass.
    expectMintMissing((await platform.request(USERS_WITH_ACCOUNTS, undefined, admin)).body, 'circuit_open');
    expect(await metric(platform.router, 'azora_router_circuit_state', { subgraph: 'mint' })).toBe(1);
    expect(await metric(platform.router, 'azora_router_circuit_state', { subgraph: 'aegis' })).toBe(0);

    await platform.restartSubgraph('mint');
    // Until the half-open delay passes the circuit stays open; the first request after it is the probe, which succeeds.
    await until(
      'the half-open probe reaches the restarted subgraph',
      async () => {
        const { body } = await platform.request(USERS_WITH_ACCOUNTS, undefined, admin);
        if (!body.errors) return true;
        expectMintMissing(body, 'circuit_open');
        return false;
      },
      30_000,
      250, // each poll is a request through Aegis: no need to hammer it while the delay runs
    );
    expect(await metric(platform.router, 'azora_router_circuit_state', { subgraph: 'mint' })).toBe(0);
    expectFull((await platform.request(USERS_WITH_ACCOUNTS, undefined, admin)).body);
  });
});

describe('faults between the router and a subgraph', () => {
  let platform: Platform;
  let proxy: FaultProxy;
  const graphqlRequests = () => proxy.requests.filter((r) => r.path.startsWith('/graphql')).length;
  // Health checks would see the injected faults too; these tests are about the request path.
  const quietHealth = { AZORA_HEALTH_CHECK_INTERVAL_MS: '600000' };

  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'forge'] });
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 3, 'faults');
  });
  beforeEach(async () => {
    proxy = await startFaultProxy(platform.subgraphs.mint!.url);
  });
  afterEach(() => proxy.close());
  afterAll(() => platform?.stop());

  it('times out a hanging subgraph and serves it again once it answers', async () => {
    const router = await platform.startRouter({
      // The timeout applies to Aegis too, which must still answer in time on a busy machine: 2 s, not less.
      env: { ...quietHealth, AZORA_SUBGRAPH_TIMEOUT_MS: '2000', AZORA_RETRY_MAX_ATTEMPTS: '1' },
      subgraphUrls: { mint: proxy.url },
    });
    proxy.mode = { kind: 'hang' };
    const started = Date.now();
    const hung = await graphql(router.url, USERS_WITH_ACCOUNTS, undefined, admin);
    expect(Date.now() - started).toBeLessThan(5_000);
    expectMintMissing(hung.body, 'timeout');

    proxy.mode = { kind: 'pass' };
    expectFull((await graphql(router.url, USERS_WITH_ACCOUNTS, undefined, admin)).body);
  });

  it('stops waiting at the request deadline even when the subgraph timeout is longer', async () => {
    const router = await platform.startRouter({
      // The deadline covers Aegis's part too, which must still fit in it on a busy machine: 2 s, not less.
      env: { ...quietHealth, AZORA_SUBGRAPH_TIMEOUT_MS: '20000', AZORA_REQUEST_DEADLINE_MS: '2000' },
      subgraphUrls: { mint: proxy.url },
    });
    proxy.mode = { kind: 'hang' };
    const started = Date.now();
    expectMintMissing((await graphql(router.url, USERS_WITH_ACCOUNTS, undefined, admin)).body, 'deadline');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('retries a query once on a 502, and stops retrying when the retry budget is spent', async () => {
    const router = await platform.startRouter({
      env: {
        ...quietHealth,
        AZORA_RETRY_BUDGET_RATIO: '0',
        AZORA_RETRY_MIN_PER_SECOND: '0',
        AZORA_BREAKER_THRESHOLD: '1000',
      },
      subgraphUrls: { mint: proxy.url },
    });
    proxy.mode = { kind: 'status', status: 502, times: 1 };
    expectFull((await graphql(router.url, USERS_WITH_ACCOUNTS, undefined, admin)).body);
    expect(graphqlRequests()).toBe(2);
    expect(await metric(router, 'azora_router_subgraph_retries_total', { subgraph: 'mint' })).toBe(1);

    // With no income (ratio 0, no floor) the budget holds its initial 10 retries; one is spent above.
    proxy.mode = { kind: 'status', status: 502 };
    for (let i = 0; i < 12; i++)
      expectMintMissing((await graphql(router.url, USERS_WITH_ACCOUNTS, undefined, admin)).body, 'bad_gateway');
    expect(graphqlRequests()).toBe(2 + 12 + 9);
  });

  it('does not count GraphQL errors against the circuit', async () => {
    const router = await platform.startRouter({
      env: { ...quietHealth, AZORA_BREAKER_THRESHOLD: '2' },
      subgraphUrls: { mint: proxy.url },
    });
    for (let i = 0; i < 5; i++) {
      const { body } = await graphql(
        router.url,
        '{ users(after: "not-a-cursor") { edges { cursor } } }',
        undefined,
        admin,
      );
      expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    }
    expect(await metric(router, 'azora_router_circuit_state', { subgraph: 'aegis' })).toBe(0);
    expectFull((await graphql(router.url, USERS_WITH_ACCOUNTS, undefined, admin)).body);
  });

  it('never retries a mutation once sent, while a query is retried', async () => {
    const typeDefs = 'type Query { ping: String } type Mutation { touch: String }';
    const fixture = await startFixtureSubgraph('fixture', typeDefs, {
      Query: { ping: () => 'pong' },
      Mutation: { touch: () => 'touched' },
    });
    const fixtureProxy = await startFaultProxy(fixture.url);
    try {
      const router = await platform.startRouter({
        env: quietHealth,
        supergraph: platform.compose({ extra: [{ name: 'fixture', url: fixtureProxy.url, typeDefs }] }),
        policy: policyAllowing({ Query: ['ping'], Mutation: ['touch'] }),
      });
      fixtureProxy.mode = { kind: 'status', status: 502, times: 1 };
      const mutation = await graphql(router.url, 'mutation { touch }');
      expect(mutation.body.errors![0]!.extensions).toMatchObject({
        code: 'DOWNSTREAM_UNAVAILABLE',
        reason: 'bad_gateway',
      });
      expect(fixtureProxy.requests).toHaveLength(1);

      fixtureProxy.mode = { kind: 'status', status: 502, times: 1 };
      expect((await graphql(router.url, '{ ping }')).body).toEqual({ data: { ping: 'pong' } });
      expect(fixtureProxy.requests).toHaveLength(3);
    } finally {
      await fixtureProxy.close();
      await fixture.stop();
    }
  });
});

describe('identical queries in flight at once', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'forge'] });
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 3, 'dedup');
  });
  afterAll(() => platform?.stop());

  const all = <T>(n: number, request: () => Promise<T>) => Promise.all(Array.from({ length: n }, request));
  const shared = (router: RunningRouter, subgraph: string) =>
    metric(router, 'azora_router_subgraph_fetches_deduplicated_total', { subgraph });

  it('share one fetch to a real subgraph, and each caller gets the whole answer', async () => {
    const proxy = await startFaultProxy(platform.subgraphs.mint!.url);
    try {
      const router = await platform.startRouter({
        env: { AZORA_HEALTH_CHECK_INTERVAL_MS: '600000' },
        subgraphUrls: { mint: proxy.url },
      });
      const held = gate();
      proxy.mode = { kind: 'pass', until: held.opened };
      const answers = all(5, () => graphql(router.url, USERS_WITH_ACCOUNTS, undefined, admin));
      await until('four have joined the first one', async () => (await shared(router, 'mint')) === 4);
      held.open();
      for (const { body } of await answers) expectFull(body);
      expect(proxy.requests.filter((r) => r.path.startsWith('/graphql'))).toHaveLength(1);

      // Not a cache: the same query a moment later is sent again.
      proxy.mode = { kind: 'pass' };
      expectFull((await graphql(router.url, USERS_WITH_ACCOUNTS, undefined, admin)).body);
      expect(proxy.requests.filter((r) => r.path.startsWith('/graphql'))).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('are shared per caller only, never for a mutation, and not at all when switched off', async () => {
    const typeDefs = 'type Query { ping: String } type Mutation { touch: String }';
    const calls = { ping: 0, touch: 0 };
    let held = gate();
    const answer = async (field: keyof typeof calls, text: string) => {
      calls[field]++;
      await held.opened;
      return text;
    };
    const fixture = await startFixtureSubgraph('fixture', typeDefs, {
      Query: { ping: () => answer('ping', 'pong') },
      Mutation: { touch: () => answer('touch', 'touched') },
    });
    try {
      const start = (env: Record<string, string> = {}) =>
        platform.startRouter({
          env,
          supergraph: platform.compose({ extra: [{ name: 'fixture', url: fixture.url, typeDefs }] }),
          policy: policyAllowing({ Query: ['ping'], Mutation: ['touch'] }),
        });
      const router = await start();
      const pings = all(6, () => graphql(router.url, '{ ping }'));
      await until('five have joined the first one', async () => (await shared(router, 'fixture')) === 5);
      held.open();
      for (const { body } of await pings) expect(body).toEqual({ data: { ping: 'pong' } });
      expect(calls.ping).toBe(1);

      // An anonymous caller and the admin ask the same at the same time: the subgraph hears each of them.
      held = gate();
      const both = Promise.all([graphql(router.url, '{ ping }'), graphql(router.url, '{ ping }', undefined, admin)]);
      await until('both reached the subgraph', () => calls.ping === 3);
      held.open();
      expect((await both).map((r) => r.body)).toEqual([{ data: { ping: 'pong' } }, { data: { ping: 'pong' } }]);

      held = gate();
      const touches = all(3, () => graphql(router.url, 'mutation { touch }'));
      await until('all three mutations reached the subgraph', () => calls.touch === 3);
      held.open();
      for (const { body } of await touches) expect(body).toEqual({ data: { touch: 'touched' } });
      expect(await shared(router, 'fixture')).toBe(5);

      held = gate();
      const off = await start({ AZORA_SUBGRAPH_DEDUPLICATION: 'false' });
      const unshared = all(4, () => graphql(off.url, '{ ping }'));
      await until('all four reached the subgraph', () => calls.ping === 7);
      held.open();
      for (const { body } of await unshared) expect(body).toEqual({ data: { ping: 'pong' } });
      expect(await shared(off, 'fixture')).toBe(0);
    } finally {
      await fixture.stop();
    }
  });

  it("send a caller's own fetch when the one they joined ran out of its first caller's deadline", async () => {
    const typeDefs = 'type Query { ping: String }';
    let calls = 0;
    const fixture = await startFixtureSubgraph('fixture', typeDefs, {
      Query: { ping: () => (++calls === 1 ? new Promise<string>(() => undefined) : 'pong') }, // the first never answers
    });
    try {
      const router = await platform.startRouter({
        env: { AZORA_REQUEST_DEADLINE_MS: '1000' },
        supergraph: platform.compose({ extra: [{ name: 'fixture', url: fixture.url, typeDefs }] }),
        policy: policyAllowing({ Query: ['ping'] }),
      });
      const first = graphql(router.url, '{ ping }');
      await until('the first fetch is in flight', () => calls === 1);
      // Not a wait for something to happen: the gap between the two callers' deadlines is what this test is about.
      await new Promise((r) => setTimeout(r, 400)); // the second caller's deadline comes 400 ms after the first's
      const second = graphql(router.url, '{ ping }');
      await until('the second caller joined it', async () => (await shared(router, 'fixture')) === 1);
      expect((await first).body.errors?.[0]?.extensions).toMatchObject({
        code: 'DOWNSTREAM_UNAVAILABLE',
        reason: 'deadline',
      });
      expect((await second).body).toEqual({ data: { ping: 'pong' } });
      expect(calls).toBe(2);
    } finally {
      await fixture.stop();
    }
  });

  it("never answer a caller's query with a fetch that started before their own mutation ended", async () => {
    const typeDefs = 'type Query { counter: Int } type Mutation { bump: Int }';
    let value = 0;
    const reads: Gate[] = [];
    const fixture = await startFixtureSubgraph('fixture', typeDefs, {
      Query: {
        counter: async () => {
          const seen = value; // read now, answered when the test opens this read's gate: a slow database read
          const held = gate();
          reads.push(held);
          await held.opened;
          return seen;
        },
      },
      Mutation: { bump: () => ++value },
    });
    try {
      const router = await platform.startRouter({
        supergraph: platform.compose({ extra: [{ name: 'fixture', url: fixture.url, typeDefs }] }),
        policy: policyAllowing({ Query: ['counter'], Mutation: ['bump'] }),
      });
      const ask = (query: string) => graphql(router.url, query, undefined, admin);
      let beforeSettled = false;
      const before = ask('{ counter }').finally(() => (beforeSettled = true));
      await until('the first read is in flight', () => reads.length === 1);
      expect((await ask('mutation { bump }')).body).toEqual({ data: { bump: 1 } });
      // The same query twice more while the first is still in flight: they must see the write, so the subgraph is
      // asked anew, once, and the second of them shares that newer fetch.
      const after = Promise.all([ask('{ counter }'), ask('{ counter }')]);
      await until(
        'a second read reached the subgraph and the third joined it',
        async () => reads.length === 2 && (await shared(router, 'fixture')) === 1,
      );
      reads[1]!.open();
      expect((await after).map((r) => r.body)).toEqual([{ data: { counter: 1 } }, { data: { counter: 1 } }]);
      expect(beforeSettled).toBe(false);
      reads[0]!.open();
      expect((await before).body).toEqual({ data: { counter: 0 } });
      expect(reads).toHaveLength(2);
    } finally {
      await fixture.stop();
    }
  });
});

describe("a subgraph's cache hint", () => {
  let platform: Platform;
  beforeAll(async () => {
    // The hints come from the fixture subgraph; Aegis is there only because a supergraph needs a domain to compose with.
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis'] });
  });
  afterAll(() => platform?.stop());

  it('reaches the client as Cache-Control, narrowed by every subgraph the operation used', async () => {
    const typeDefs = 'type Query { headline: String, price: Int }';
    const fixture = await startFixtureSubgraph('fixture', typeDefs, {
      Query: {
        headline: (_: unknown, __: unknown, ___: unknown, info: any) => {
          info.cacheControl.setCacheHint({ maxAge: 60, scope: 'PUBLIC' });
          return 'hello';
        },
        price: () => 3,
      },
    });
    try {
      const router = await platform.startRouter({
        supergraph: platform.compose({ extra: [{ name: 'fixture', url: fixture.url, typeDefs }] }),
        policy: policyAllowing({ Query: ['headline', 'price'] }),
      });
      const cacheable = await graphql(router.url, '{ headline }');
      expect(cacheable.body).toEqual({ data: { headline: 'hello' } });
      expect(cacheable.headers.get('cache-control')).toBe('max-age=60, public');
      // A field without a hint makes the subgraph's answer uncacheable, and so the client's.
      const mixed = await graphql(router.url, '{ headline price }');
      expect(mixed.body).toEqual({ data: { headline: 'hello', price: 3 } });
      expect(mixed.headers.get('cache-control')).toBe('no-store');
    } finally {
      await fixture.stop();
    }
  });
});

describe('two replicas of a subgraph, one dead', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'forge'],
      replicas: { mint: 2 },
      router: { env: { AZORA_HEALTH_CHECK_INTERVAL_MS: '100' } },
    });
    admin = (await platform.admin()).headers;
    await seedUsers(platform, 3, 'replica');
  });
  afterAll(() => platform?.stop());

  const served = async (replica: number) =>
    (await platform.replicas.mint![replica]!.metrics.requests.get()).values.reduce((n, v) => n + v.value, 0);

  it('balances across both, keeps serving on the live one with no failed request, and uses the dead one again once it is back', async () => {
    for (let i = 0; i < 6; i++) expectFull((await platform.request(USERS_WITH_ACCOUNTS, undefined, admin)).body);
    expect(await served(0)).toBeGreaterThan(0);
    expect(await served(1)).toBeGreaterThan(0);

    await platform.stopSubgraph('mint', 1);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => platform.request(USERS_WITH_ACCOUNTS, undefined, admin)),
    );
    for (const { body } of results) expectFull(body);
    await until(
      'the dead replica is marked unhealthy',
      async () =>
        (await metric(platform.router, 'azora_router_subgraph_replica_healthy', {
          replica: platform.replicas.mint![1]!.url,
        })) === 0,
    );
    expect((await fetch(new URL('/ready', platform.routerUrl))).status).toBe(200);

    await platform.restartSubgraph('mint', 1);
    await until(
      'the replica is healthy again',
      async () =>
        (await metric(platform.router, 'azora_router_subgraph_replica_healthy', {
          replica: platform.replicas.mint![1]!.url,
        })) === 1,
    );
    const before = await served(1);
    for (let i = 0; i < 6; i++) expectFull((await platform.request(USERS_WITH_ACCOUNTS, undefined, admin)).body);
    expect(await served(1)).toBeGreaterThan(before);
  });
});
