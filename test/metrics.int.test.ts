import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningRouter } from '@azora/router';
import {
  InProcessEventBus,
  type DomainEvent,
  type EventBus,
  type EventHandler,
  type SubgraphDefinition,
} from '@azora/kit';
import {
  allSubgraphs,
  collect,
  connectWs,
  metricValue,
  startPlatform,
  twoAccounts,
  until,
  type Platform,
  type SignedIn,
} from '@azora/testing';

/**
 * The metrics the catalogue promises beyond requests and fetches, each watched moving when its event happens:
 * refusals before Apollo, rate-limit rejections, WebSockets and subscriptions (router and subgraph), and the event
 * bus's publish and consumer lag. Everything is caused through the router, the way a client would.
 */

const TRUSTED = '{ currencies { code } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ACTIVITY = 'subscription Activity($a: ID!) { accountActivity(accountId: $a) { amount { amount } } }';
/** Costs 14: more than the 1-a-second refill can give back while the test opens a socket. */
const COSTLY_ACTIVITY =
  'subscription Costly($a: ID!) { accountActivity(accountId: $a) { amount { amount } account { entries(first: 5) { edges { node { id } } } } } }';

/** A raw HTTP request to a router, answered with its status. */
async function status(url: string, init: RequestInit & { search?: Record<string, string> } = {}): Promise<number> {
  const target = new URL(url);
  for (const [k, v] of Object.entries(init.search ?? {})) target.searchParams.set(k, v);
  const response = await fetch(target, init);
  await response.arrayBuffer();
  return response.status;
}

const json = { 'content-type': 'application/json' };

/** The in-process bus, with an outage switch: while `down`, publishing fails as a lost Redis would. */
class SwitchableBus implements EventBus {
  down = false;
  private readonly inner = new InProcessEventBus();
  async publish(event: DomainEvent): Promise<void> {
    if (this.down) throw new Error('event bus unreachable (test outage)');
    await this.inner.publish(event);
  }
  subscribe(topics: string[], handler: EventHandler, options?: { group?: string }): () => void {
    return this.inner.subscribe(topics, handler, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
const value = async (url: string, name: string, labels: Record<string, string> = {}) =>
  (await metricValue(url, name, labels)) ?? NaN;

/**
 * Nexus with a log that fails once on demand: while armed, the next transfer event it handles throws after its write,
 * as a dropped database connection would, so the handling rolls back and the bus must deliver the event again.
 */
function withFlakyLog(nexus: SubgraphDefinition) {
  const flaky = { armed: false, failed: undefined as DomainEvent | undefined };
  const definition: SubgraphDefinition = {
    ...nexus,
    consumers: nexus.consumers!.map((consumer) => ({
      ...consumer,
      async handle(em, event, log, as) {
        await consumer.handle(em, event, log, as);
        if (flaky.armed && event.topic === 'mint.transfer') {
          flaky.armed = false;
          flaky.failed = event;
          throw new Error('connection lost (test failure)');
        }
      },
    })),
  };
  return { definition, flaky };
}

describe('operational metrics move when their event happens', () => {
  let platform: Platform;
  let url: string;
  let dir: string;
  const bus = new SwitchableBus();
  const flakyNexus = withFlakyLog(allSubgraphs().find((d) => d.name === 'nexus')!);

  beforeAll(async () => {
    platform = await startPlatform({
      dialect: 'sqlite',
      bus,
      subgraphs: ['aegis', 'mint', flakyNexus.definition, 'forge'],
    });
    url = platform.routerUrl;
    dir = mkdtempSync(join(tmpdir(), 'azora-metrics-'));
  });
  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('requests refused before Apollo Server runs an operation, by reason', () => {
    const refused = (reason: string) => value(url, 'azora_router_requests_refused_total', { reason });

    it.each([
      [
        'unsupported_media_type',
        415,
        { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{ __typename }' },
      ],
      [
        'payload_too_large',
        413,
        { method: 'POST', headers: json, body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(300 * 1024)}` }) },
      ],
      ['malformed_json', 400, { method: 'POST', headers: json, body: '{"query": ' }],
      [
        'unauthenticated',
        401,
        {
          method: 'POST',
          headers: { ...json, authorization: 'Bearer not-a-token' },
          body: JSON.stringify({ query: '{ __typename }' }),
        },
      ],
      [
        'document_size',
        400,
        { method: 'POST', headers: json, body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(20 * 1024)}` }) },
      ],
      [
        'tokens',
        400,
        { method: 'POST', headers: json, body: JSON.stringify({ query: `{ ${'__typename '.repeat(1200)}}` }) },
      ],
      [
        'batching_disabled',
        400,
        {
          method: 'POST',
          headers: json,
          body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
        },
      ],
      ['csrf', 400, { method: 'GET', search: { query: '{ __typename }' } }],
      [
        'get_mutation',
        405,
        {
          method: 'GET',
          headers: { 'apollo-require-preflight': 'true' },
          search: { query: 'mutation { signOut(refreshToken: "x") }' },
        },
      ],
    ] as [string, number, RequestInit & { search?: Record<string, string> }][])(
      '%s (HTTP %i)',
      async (reason, expectedStatus, init) => {
        const before = await refused(reason);
        expect(before).toBeGreaterThanOrEqual(0); // exported from the start, at zero
        expect(await status(url, init)).toBe(expectedStatus);
        expect(await refused(reason)).toBe(before + 1);
      },
    );

    it('counts nothing as refused for an ordinary request', async () => {
      const total = async () => {
        const text = await (await fetch(new URL('/metrics', url))).text();
        return text
          .split('\n')
          .filter((l) => l.startsWith('azora_router_requests_refused_total{'))
          .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      };
      const before = await total();
      expect(
        await status(url, { method: 'POST', headers: json, body: JSON.stringify({ query: '{ __typename }' }) }),
      ).toBe(200);
      expect(await total()).toBe(before);
    });
  });

  describe('with trusted documents enforced and a small rate limit', () => {
    let strict: RunningRouter;
    let user: SignedIn;
    beforeAll(async () => {
      const manifest = join(dir, 'persisted-documents.json');
      writeFileSync(manifest, JSON.stringify({ [`sha256:${sha256(TRUSTED)}`]: TRUSTED }));
      strict = await platform.startRouter({
        env: {
          AZORA_TRUSTED_DOCUMENTS: 'enforce',
          AZORA_TRUSTED_DOCUMENTS_MANIFEST: manifest,
          AZORA_LIMIT_MAX_COST: '20',
          AZORA_RATE_LIMIT_CAPACITY: '20',
          AZORA_RATE_LIMIT_REFILL_PER_SECOND: '1',
        },
      });
      user = await platform.signUp('Limited');
    });

    it('counts an untrusted document as refused', async () => {
      const before = await value(strict.url, 'azora_router_requests_refused_total', { reason: 'document_not_trusted' });
      expect(
        await status(strict.url, { method: 'POST', headers: json, body: JSON.stringify({ query: '{ __typename }' }) }),
      ).toBe(400);
      expect(await value(strict.url, 'azora_router_requests_refused_total', { reason: 'document_not_trusted' })).toBe(
        before + 1,
      );
    });

    it('counts rate-limit rejections over HTTP and over WebSocket', async () => {
      const limited = (transport: string) => value(strict.url, 'azora_router_rate_limited_total', { transport });
      expect(await limited('http')).toBe(0);
      expect(await limited('websocket')).toBe(0);
      const ask = () =>
        status(strict.url, {
          method: 'POST',
          headers: { ...json, ...user.headers },
          body: JSON.stringify({ documentId: `sha256:${sha256(TRUSTED)}` }),
        });
      let refusals = 0;
      for (let i = 0; i < 60 && refusals === 0; i++) if ((await ask()) === 429) refusals += 1;
      expect(refusals).toBe(1);
      expect(await limited('http')).toBe(1);

      // The same caller's budget is spent for a subscription too.
      const client = connectWs(strict.url, { authorization: `Bearer ${user.accessToken}` });
      const refusedSubscription = collect(client, COSTLY_ACTIVITY, { a: 'any-account' });
      await until('the subscription is refused', async () => refusedSubscription.ended());
      expect(refusedSubscription.failure()).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) }),
      ]);
      expect(await limited('websocket')).toBe(1);
      await client.dispose();
    });
  });

  describe('WebSockets, subscriptions and the event bus', () => {
    let bob: SignedIn;
    let to: string;
    let send: (memo: string) => ReturnType<Platform['request']>;
    beforeAll(async () => {
      const treasury = await platform.userWithRoles(['treasury'], 'metrics-treasury');
      const accounts = await twoAccounts(platform, treasury);
      ({ bob, b: to } = accounts);
      send = (memo) => accounts.send(`${memo}-${randomBytes(4).toString('hex')}`);
    });

    it('counts sockets and running subscriptions at the router and in Mint, and the events they deliver', async () => {
      const mint = platform.subgraphs.mint!.url;
      const field = { field: 'accountActivity' };
      const routerSockets = () => value(url, 'azora_router_websocket_connections');
      const routerActive = () => value(url, 'azora_router_subscriptions_active', field);
      const mintActive = () => value(mint, 'azora_subgraph_subscriptions_active', field);
      const base = {
        sockets: await routerSockets(),
        active: await routerActive(),
        mintActive: await mintActive(),
        mintSockets: await value(mint, 'azora_subgraph_websocket_connections'),
        delivered: await value(url, 'azora_router_subscription_events_total', field),
        mintDelivered: await value(mint, 'azora_subgraph_subscription_events_total', field),
      };
      expect(Object.values(base).every((n) => n >= 0)).toBe(true); // every series exported before any traffic

      const client = connectWs(url, { authorization: `Bearer ${bob.accessToken}` });
      const activity = collect(client, ACTIVITY, { a: to });
      await until(
        'the subscription runs at the router and in Mint',
        async () => (await routerActive()) === base.active + 1 && (await mintActive()) === base.mintActive + 1,
      );
      expect(await routerSockets()).toBe(base.sockets + 1);
      expect(await value(mint, 'azora_subgraph_websocket_connections')).toBe(base.mintSockets + 1);

      expect((await send('watched')).body.errors).toBeUndefined();
      expect(await activity.until(1)).toHaveLength(1);
      await until(
        'the delivery is counted',
        async () => (await value(url, 'azora_router_subscription_events_total', field)) === base.delivered + 1,
      );
      expect(await value(mint, 'azora_subgraph_subscription_events_total', field)).toBe(base.mintDelivered + 1);

      // Unsubscribing ends the subscription at once, though no further event comes to wake it.
      activity.unsubscribe();
      await until(
        'the subscription has ended at the router and in Mint',
        async () => (await routerActive()) === base.active && (await mintActive()) === base.mintActive,
      );
      expect(await routerSockets()).toBe(base.sockets + 1);
      await client.dispose();
      await until('the socket is closed', async () => (await routerSockets()) === base.sockets);
    });

    it('measures the outbox publish lag in Mint and the consumer lag in Nexus', async () => {
      const mint = platform.subgraphs.mint!.url;
      const nexus = platform.subgraphs.nexus!.url;
      const publishLag = async () => ({
        count: await value(mint, 'azora_outbox_publish_lag_seconds_count'),
        sum: await value(mint, 'azora_outbox_publish_lag_seconds_sum'),
      });
      const handled = () => value(nexus, 'azora_event_consumer_lag_seconds_count', { consumer: 'nexus.log' });
      const before = { lag: await publishLag(), handled: await handled() };
      expect(before.handled).toBeGreaterThanOrEqual(0);
      expect((await send('lagging')).body.errors).toBeUndefined();
      await until('Mint published the transfer event', async () => (await publishLag()).count >= before.lag.count + 1);
      await until('Nexus logged it', async () => (await handled()) >= before.handled + 1);
      // This event's lag alone: the relay polls every 100 ms, so a fraction of a second, never zero or absurd.
      const after = await publishLag();
      expect(after.count - before.lag.count).toBeGreaterThanOrEqual(1);
      expect(after.sum - before.lag.sum).toBeGreaterThan(0);
      expect(after.sum - before.lag.sum).toBeLessThan(5);
    });

    it('counts a delivery that fails in Nexus, and logs the event when the relay publishes it again', async () => {
      const nexusUrl = platform.subgraphs.nexus!.url;
      const failures = () => value(nexusUrl, 'azora_event_consumer_failures_total', { consumer: 'nexus.log' });
      const handled = () => value(nexusUrl, 'azora_event_consumer_lag_seconds_count', { consumer: 'nexus.log' });
      const before = { failures: await failures(), handled: await handled() };
      expect(before.failures).toBeGreaterThanOrEqual(0); // exported from the start
      flakyNexus.flaky.armed = true;
      const sent = await send('failing-once');
      expect(sent.body.errors).toBeUndefined();
      await until('the delivery failed in Nexus', async () => flakyNexus.flaky.failed !== undefined);
      const failed = flakyNexus.flaky.failed!;
      expect(failed.payload.transferId).toBe((sent.body.data as { transfer: { id: string } }).transfer.id);
      // Handled (not skipped as a duplicate) on redelivery: the failed handling was rolled back, its record included.
      await until(
        'the relay delivered it again and Nexus handled it',
        async () => (await handled()) >= before.handled + 1,
      );
      expect(await failures()).toBe(before.failures + 1);
      const logged = await platform.request(
        'query($id: ID!) { event(id: $id) { id payload } }',
        { id: failed.id },
        (await platform.admin()).headers,
      );
      expect(logged.body).toEqual({ data: { event: { id: failed.id, payload: failed.payload } } });
    });

    it('shows the outbox backlog growing while the bus is down, and draining once it is back', async () => {
      const mint = platform.subgraphs.mint!.url;
      const pending = () => value(mint, 'azora_outbox_pending_events');
      await until('the backlog is empty', async () => (await pending()) === 0);
      bus.down = true;
      try {
        for (const memo of ['outage-1', 'outage-2', 'outage-3']) expect((await send(memo)).body.errors).toBeUndefined();
        await until('the backlog shows the three unpublished transfers', async () => (await pending()) === 3);
      } finally {
        bus.down = false;
      }
      await until('the relay has published them', async () => (await pending()) === 0);
    });
  });
});
