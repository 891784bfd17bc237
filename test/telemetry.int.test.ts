import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpanKind } from '@opentelemetry/api';
import { RedisEventBus, startTelemetry, type EventBus, type Telemetry } from '@azora/kit';
import {
  captureLogs,
  collect,
  connectWs,
  metricValue,
  seedUsers,
  startPlatform,
  TEST_REDIS_URL,
  testDialects,
  twoAccounts,
  until,
  type Platform,
} from '@azora/testing';

const QUERY = /* GraphQL */ `
  query UserWithAccounts($id: ID!) {
    user(id: $id) {
      email
      accounts {
        currency
      }
    }
  }
`;

// A value that must never reach a log line, sent where real secrets travel: headers and nested variables.
const SECRET = `s3cret-${randomBytes(8).toString('hex')}`;

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry | undefined;
beforeAll(() => {
  telemetry = startTelemetry('azora-test', [new SimpleSpanProcessor({ exporter })]);
});
afterAll(() => telemetry?.shutdown());

async function spansOfTrace(
  traceId: string,
  until: (spans: ReadableSpan[]) => boolean,
  timeoutMs = 5_000,
): Promise<ReadableSpan[]> {
  // Server spans end when the response is closed, a moment after the client has read it.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    if (until(spans) || Date.now() > deadline) return spans;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Parent and ancestor lookups within a set of spans (a span whose parent is not in the set has none). */
function spanTree(spans: ReadableSpan[]) {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const parentOf = (span: ReadableSpan) => byId.get(span.parentSpanContext?.spanId ?? '');
  const ancestors = (span: ReadableSpan): ReadableSpan[] => {
    const parent = parentOf(span);
    return parent ? [parent, ...ancestors(parent)] : [];
  };
  return { parentOf, ancestors };
}

describe.each(testDialects())('traces and logs through the router on %s', (dialect) => {
  let platform: Platform;
  let userId: string;
  let adminToken: string;
  const logs = captureLogs();

  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'forge'], loggerFor: logs.loggerFor });
    [userId] = await seedUsers(platform, 1, `trace-${dialect}`);
    adminToken = (await platform.admin()).accessToken;
  });
  afterAll(() => platform?.stop());

  const traceId = randomBytes(16).toString('hex');
  const requestId = `telemetry-${dialect}-${Date.now()}`;

  beforeAll(async () => {
    const { body } = await platform.request(
      QUERY,
      { id: userId, password: SECRET, input: { apiKey: SECRET, sessions: [{ refreshToken: SECRET }] } },
      {
        // The client's own W3C trace context: the router continues it rather than starting another trace.
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        // A real credential: it must be verified, and still never logged.
        authorization: `Bearer ${adminToken}`,
        cookie: `session=${SECRET}`,
        'x-api-key': SECRET,
        'x-request-id': requestId,
      },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.user.accounts).toEqual(expect.arrayContaining([{ currency: 'USD' }, { currency: 'EUR' }]));
  });

  it('records one trace with spans from the router, both subgraphs and their SQL, linked parent to child', async () => {
    const serverSpan = (spans: ReadableSpan[], service: string) =>
      spans.find((s) => s.name === 'POST /graphql' && s.attributes['azora.service'] === service);
    const spans = await spansOfTrace(traceId, (found) =>
      ['router', 'aegis', 'mint'].every((service) => serverSpan(found, service)),
    );
    const { parentOf, ancestors } = spanTree(spans);

    const router = serverSpan(spans, 'router')!;
    expect(router).toBeDefined();
    expect(router.attributes['http.response.status_code']).toBe(200);
    expect(spans.map((s) => s.name)).toEqual(
      expect.arrayContaining(['gateway.request', 'gateway.plan', 'gateway.execute']),
    );

    for (const subgraph of ['aegis', 'mint']) {
      const server = serverSpan(spans, subgraph);
      expect(server).toBeDefined();
      // traceparent crossed the HTTP hop: the subgraph's span hangs under the gateway's fetch to that subgraph.
      expect(parentOf(server!)).toMatchObject({ name: 'gateway.fetch', attributes: { service: subgraph } });
      expect(ancestors(server!)).toContain(router);

      const sql = spans.filter(
        (s) => s.attributes['db.system.name'] === dialect && s.attributes['azora.service'] === subgraph,
      );
      expect(sql.length).toBeGreaterThan(0);
      for (const statement of sql) {
        expect(ancestors(statement)).toContain(server);
        expect(statement.attributes['db.query.text']).toMatch(/^select /i);
        // Placeholders only: the user id Mint looks accounts up by is a bound value, not part of the text.
        expect(statement.attributes['db.query.text']).not.toContain(userId);
      }
    }
    // Nothing in the trace carries the request's secret values.
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(SECRET);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(adminToken);
  });

  it('marks a fetch that an identical one in flight answered, which has no subgraph span of its own', async () => {
    const shared = async () =>
      (await metricValue(platform.routerUrl, 'azora_router_subgraph_fetches_deduplicated_total', {
        subgraph: 'aegis',
      })) ?? 0;
    const before = await shared();
    const traces = Array.from({ length: 12 }, () => randomBytes(16).toString('hex'));
    await Promise.all(
      traces.map((trace) =>
        platform.request(
          'query Same($id: ID!) { user(id: $id) { email } }',
          { id: userId },
          {
            traceparent: `00-${trace}-${randomBytes(8).toString('hex')}-01`,
            authorization: `Bearer ${adminToken}`,
          },
        ),
      ),
    );
    const joined = (await shared()) - before;
    let marked = 0;
    for (const trace of traces) {
      const spans = await spansOfTrace(trace, (found) =>
        found.some((s) => s.name === 'POST /graphql' && s.attributes['azora.service'] === 'router'),
      );
      const fetch = spans.find((s) => s.name === 'gateway.fetch' && s.attributes.service === 'aegis')!;
      const answeredHere = spans.some((s) => s.name === 'POST /graphql' && s.attributes['azora.service'] === 'aegis');
      if (fetch.attributes['azora.subgraph.fetch_shared'] === true) marked++;
      expect(answeredHere).toBe(fetch.attributes['azora.subgraph.fetch_shared'] !== true);
    }
    // Twelve identical requests at once from one caller: some join (8–9 here); each that did is marked, and only those.
    expect(joined).toBeGreaterThan(0);
    expect(marked).toBe(joined);
  });

  it('puts the request id and the trace id on every log line of the request, in every service', async () => {
    const lines = logs.lines.filter((l) => l.requestId === requestId);
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(['router', 'aegis', 'mint']));
    for (const line of lines) expect(line.traceId).toBe(traceId);
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toHaveLength(3);
    // The router's access line logged the headers, with the secret ones redacted.
    const routerAccess = access.find((l) => l.service === 'router')!;
    expect(routerAccess.req.headers).toMatchObject({
      authorization: '[redacted]',
      cookie: '[redacted]',
      'x-api-key': '[redacted]',
    });
    expect(lines.find((l) => l.service === 'router' && l.msg === 'graphql request')?.variables).toEqual({
      id: userId,
      password: '[redacted]',
      input: { apiKey: '[redacted]', sessions: [{ refreshToken: '[redacted]' }] },
    });
  });

  it('never writes the secret to any log line of the run', () => {
    expect(logs.raw().length).toBeGreaterThan(0);
    expect(logs.raw()).not.toContain(SECRET);
    expect(logs.raw()).not.toContain(adminToken);
    // Nor any piece of the signature that makes the token valid.
    expect(logs.raw()).not.toContain(adminToken.split('.')[2]);
  });
});

const ACTIVITY = /* GraphQL */ `
  subscription Activity($a: ID!) {
    accountActivity(accountId: $a) {
      amount {
        amount
      }
      transfer {
        memo
      }
      account {
        owner {
          displayName
        }
      }
    }
  }
`;

const buses: [string, () => EventBus | undefined][] = [
  ['the in-process bus', () => undefined],
  [
    'the Redis bus',
    () =>
      new RedisEventBus(TEST_REDIS_URL, undefined, { stream: `azora:test:trace:${randomBytes(4).toString('hex')}` }),
  ],
];

describe.each(buses)('one trace from a transfer to its accountActivity delivery, over %s', (_name, makeBus) => {
  let platform: Platform;
  let bus: EventBus | undefined;
  beforeAll(async () => {
    bus = makeBus();
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'nexus', 'forge'], bus });
  });
  afterAll(async () => {
    await platform?.stop();
    await bus?.close();
  });

  it('links the transfer (router, Mint, SQL) to the publish, the Nexus consumer and the delivery (router, two subgraphs, SQL)', async () => {
    const treasury = await platform.userWithRoles(['treasury'], 'trace-treasury');
    const { bob, b: to, send } = await twoAccounts(platform, treasury);

    const client = connectWs(platform.routerUrl, { authorization: `Bearer ${bob.accessToken}` });
    const activity = collect(client, ACTIVITY, { a: to });
    const mintSubscriptions = async () =>
      (await metricValue(platform.subgraphs.mint!.url, 'azora_subgraph_subscriptions_active', {
        field: 'accountActivity',
      })) ?? 0;
    await until('Mint serves the subscription', async () => (await mintSubscriptions()) >= 1);

    const traceId = randomBytes(16).toString('hex');
    const sent = await send(`traced-${traceId}`, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expect(sent.body.errors).toBeUndefined();
    const [delivery] = await activity.until(1, 20_000);
    expect(delivery.data.accountActivity).toEqual({
      amount: { amount: '1.00' },
      transfer: { memo: `traced-${traceId}` },
      account: { owner: { displayName: 'Bob' } },
    });
    await client.dispose();

    const named = (spans: ReadableSpan[], name: string, service: string) =>
      spans.filter((s) => s.name === name && s.attributes['azora.service'] === service);
    const spans = await spansOfTrace(
      traceId,
      (found) =>
        named(found, 'subscription accountActivity', 'router').length > 0 &&
        found.some((s) => s.name === 'process mint.transfer'),
      15_000,
    );
    const { parentOf, ancestors } = spanTree(spans);
    const one = (name: string, service: string) => {
      const found = named(spans, name, service);
      expect(found.map((s) => `${s.name} @ ${service}`)).toEqual([`${name} @ ${service}`]);
      return found[0]!;
    };

    // The transfer: the router's request, Mint's request under it, and Mint's SQL (the ledger writes) under that.
    const transferAtRouter = spans.find(
      (s) => s.name === 'POST /graphql' && s.attributes['azora.service'] === 'router' && !parentOf(s),
    )!;
    expect(transferAtRouter).toBeDefined();
    const transferAtMint = spans.find(
      (s) =>
        s.name === 'POST /graphql' &&
        s.attributes['azora.service'] === 'mint' &&
        ancestors(s).includes(transferAtRouter),
    )!;
    expect(transferAtMint).toBeDefined();
    const writes = spans.filter(
      (s) => s.attributes['db.system.name'] === 'sqlite' && ancestors(s).includes(transferAtMint),
    );
    expect(writes.map((s) => s.attributes['db.operation.name'])).toEqual(expect.arrayContaining(['INSERT', 'UPDATE']));

    // The outbox relay's publish continues the transaction's trace; the event carries the publish span onwards.
    const publish = one('publish mint.transfer', 'mint');
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(ancestors(publish)).toContain(transferAtMint);

    // Nexus's consumer logged the event as a child of the publish, with its own SQL under it.
    const logged = spans.find(
      (s) => s.name === 'process mint.transfer' && s.attributes['messaging.consumer.group.name'] === 'nexus.log',
    )!;
    expect(logged).toBeDefined();
    expect(logged.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(logged)).toBe(publish);
    expect(
      spans.some(
        (s) =>
          s.attributes['azora.service'] === 'nexus' &&
          s.attributes['db.system.name'] === 'sqlite' &&
          parentOf(s) === logged,
      ),
    ).toBe(true);

    // Mint's delivery of the subscription result, then the router's delivery to Bob, each a child of the one before.
    const atMint = one('subscription accountActivity', 'mint');
    expect(parentOf(atMint)).toBe(publish);
    const atRouter = one('subscription accountActivity', 'router');
    expect(parentOf(atRouter)).toBe(atMint);
    // The router's follow-up read of Bob's selection: the gateway, both subgraphs it reads, and their SQL.
    for (const subgraph of ['mint', 'aegis']) {
      const read = spans.find(
        (s) =>
          s.name === 'POST /graphql' && s.attributes['azora.service'] === subgraph && ancestors(s).includes(atRouter),
      );
      expect(read ? subgraph : `${subgraph} (no read under the delivery)`).toBe(subgraph);
      expect(spans.some((s) => s.attributes['db.system.name'] === 'sqlite' && parentOf(s) === read)).toBe(true);
    }
    expect(spans.filter((s) => s.name === 'gateway.request' && ancestors(s).includes(atRouter))).toHaveLength(1);
  });
});
