import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { OutboxEvent, RedisEventBus, type EventBus } from '@azora/kit';
import {
  aegisSigningKey,
  collect,
  connectWs,
  startPlatform,
  startTcpProxy,
  TEST_ISSUER,
  TEST_REDIS_URL,
  testDialects,
  twoAccounts,
  until,
  wsUrlOf,
  type Platform,
  type SignedIn,
} from '@azora/testing';

const ACTIVITY =
  'subscription($a: ID!) { accountActivity(accountId: $a) { amount { amount } transfer { memo } account { owner { displayName } } } }';
const EVENTS =
  'subscription($t: [String!]!, $after: String) { events(topics: $t, after: $after) { id cursor type payload } }';
const redisBus = (stream: string, url = TEST_REDIS_URL): EventBus => new RedisEventBus(url, undefined, { stream });

describe.each(testDialects())('Nexus: the event log on %s', (dialect) => {
  let platform: Platform;
  let admin: SignedIn;
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'nexus', 'forge'] });
    admin = await platform.admin();
  });
  afterAll(() => platform?.stop());

  it('logs every event once, pages it by cursor, and replays exactly what a reconnecting client missed', async () => {
    const treasury = await platform.userWithRoles(['treasury'], 't');
    const { send, alice } = await twoAccounts(platform, treasury);
    const transferEvents = async () => {
      const { body } = await platform.request(
        '{ events(topic: "mint.transfer", first: 100) { edges { cursor node { id type payload } } } }',
        {},
        admin.headers,
      );
      return body.data.events.edges as { cursor: string; node: { id: string; payload: { kind: string } } }[];
    };
    await until('the deposit is logged', async () => (await transferEvents()).length >= 1, 15_000);
    const seenBefore = (await transferEvents()).length;

    // A live follower that will disconnect, then come back with its last cursor.
    const first = connectWs(platform.routerUrl, { authorization: `Bearer ${admin.accessToken}` });
    const subscriptions = platform.watchSubscriptions();
    const live = collect(first, EVENTS, { t: ['mint.transfer'] });
    await subscriptions.opened(1);
    await send('before-disconnect');
    const [one] = await live.until(1);
    expect(one.data.events.type).toBe('mint.transfer.completed');
    await first.dispose();

    for (const memo of ['missed-1', 'missed-2', 'missed-3']) expect((await send(memo)).body.errors).toBeUndefined();
    await until(
      'the missed transfers are logged',
      async () => (await transferEvents()).length >= seenBefore + 4,
      15_000,
    );

    const again = connectWs(platform.routerUrl, { authorization: `Bearer ${admin.accessToken}` });
    const resumed = collect(again, EVENTS, { t: ['mint.transfer'], after: one.data.events.cursor });
    const replay = await resumed.until(3);
    expect(replay.map((r) => r.data.events.id)).toEqual(
      (await transferEvents()).slice(seenBefore + 1).map((e) => e.node.id),
    );
    await send('after-reconnect');
    const [, , , liveAgain] = await resumed.until(4);
    expect(liveAgain.data.events.payload.kind).toBe('TRANSFER');
    // Nothing twice: the next event is the fifth delivery, and the five are five different events.
    await send('closing');
    const delivered = await resumed.until(5);
    expect(delivered).toHaveLength(5);
    expect(new Set(delivered.map((r) => r.data.events.id)).size).toBe(5);
    await again.dispose();

    // The log is for admins and operators only.
    const denied = await platform.request('{ events { edges { cursor } } }', {}, alice.headers);
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const ids = (await transferEvents()).map((e) => e.node.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('the event bus across processes (Redis)', () => {
  it('delivers an event caused through router A to a subscriber on router B, exactly once', async () => {
    const stream = `azora:test:${randomBytes(4).toString('hex')}`;
    const a = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'forge'], bus: redisBus(stream) });
    const b = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'forge'],
      bus: redisBus(stream),
      sharing: a,
    });
    try {
      const treasury = await a.userWithRoles(['treasury'], 't');
      const { bob, b: bobAccount, send } = await twoAccounts(a, treasury);
      const onB = connectWs(b.routerUrl, { authorization: `Bearer ${bob.accessToken}` });
      const subscriptions = b.watchSubscriptions();
      const live = collect(onB, ACTIVITY, { a: bobAccount });
      await subscriptions.opened(1);
      expect((await send('across-routers')).body.errors).toBeUndefined();
      const [event] = await live.until(1);
      expect(event.data.accountActivity).toEqual({
        amount: { amount: '1.00' },
        transfer: { memo: 'across-routers' },
        account: { owner: { displayName: 'Bob' } },
      });
      // Exactly once: the next transfer is the second delivery.
      expect((await send('across-routers-2')).body.errors).toBeUndefined();
      await live.until(2);
      expect(live.results.map((r) => r.data.accountActivity.transfer.memo)).toEqual([
        'across-routers',
        'across-routers-2',
      ]);
      await onB.dispose();
    } finally {
      await b.stop();
      await a.stop();
      await Promise.all([a.bus.close(), b.bus.close()]);
    }
  });

  it('keeps every event while the bus is down and delivers each once, to Nexus and live subscribers, when it is back', async () => {
    const proxy = await startTcpProxy(Number(new URL(TEST_REDIS_URL).port || 6379), new URL(TEST_REDIS_URL).hostname);
    const platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'nexus', 'forge'],
      bus: redisBus(`azora:test:${randomBytes(4).toString('hex')}`, `redis://127.0.0.1:${proxy.port}`),
    });
    try {
      const admin = await platform.admin();
      const treasury = await platform.userWithRoles(['treasury'], 't');
      const { bob, b: bobAccount, send } = await twoAccounts(platform, treasury);
      const client = connectWs(platform.routerUrl, { authorization: `Bearer ${bob.accessToken}` });
      const subscriptions = platform.watchSubscriptions();
      const live = collect(client, ACTIVITY, { a: bobAccount });
      await subscriptions.opened(1);

      proxy.cut();
      const memos = ['down-1', 'down-2', 'down-3'];
      for (const memo of memos) expect((await send(memo)).body.errors).toBeUndefined(); // committed, waiting in the outbox
      const mintEm = platform.subgraphs.mint!.orm.em.fork();
      await until(
        "the three transfers' events wait unpublished in Mint's outbox",
        async () => (await mintEm.count(OutboxEvent, { topic: 'mint.transfer', publishedAt: null })) >= 3,
      );
      expect(live.results).toHaveLength(0);
      proxy.restore();

      await live.until(3, 20_000);
      expect(live.results.map((r) => r.data.accountActivity.transfer.memo)).toEqual(memos);
      const logged = async () =>
        (
          (
            await platform.request(
              '{ events(topic: "mint.transfer", first: 100) { edges { node { payload } } } }',
              {},
              admin.headers,
            )
          ).body.data.events.edges as {
            node: { payload: { kind: string } };
          }[]
        ).filter((e) => e.node.payload.kind === 'TRANSFER').length;
      await until('Nexus has all three transfers', async () => (await logged()) === 3, 20_000);
      // Each once: the next transfer is the fourth delivery and the fourth logged.
      expect((await send('up-again')).body.errors).toBeUndefined();
      await live.until(4);
      expect(live.results.map((r) => r.data.accountActivity.transfer.memo)).toEqual([...memos, 'up-again']);
      await until('Nexus has the fourth transfer', async () => (await logged()) >= 4, 20_000);
      expect(await logged()).toBe(4);
      await client.dispose();
    } finally {
      await platform.stop();
      await platform.bus.close();
      await proxy.close();
    }
  });
});

describe('WebSocket abuse and lifecycle at the router', () => {
  let platform: Platform;
  let user: SignedIn;
  beforeAll(async () => {
    platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'forge'],
      subscriptionLimits: { maxPayloadBytes: 4_096 },
    });
    user = await platform.signUp('socket-user');
  });
  afterAll(() => platform?.stop());

  /** A raw socket speaking graphql-transport-ws, to send what a well-behaved client never would. */
  function raw() {
    const socket = new WebSocket(wsUrlOf(platform.routerUrl), 'graphql-transport-ws');
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('error', () => undefined);
    const opened = new Promise((resolve) => socket.once('open', resolve));
    const send = async (message: unknown) => {
      await opened;
      socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    };
    return { socket, messages, closed, send, opened };
  }
  const init = { type: 'connection_init', payload: () => ({ authorization: `Bearer ${user.accessToken}` }) };

  it('closes each misbehaving socket with its protocol code and keeps serving everyone else', async () => {
    const healthy = connectWs(platform.routerUrl, { authorization: `Bearer ${user.accessToken}` });
    const cases: [string, (r: ReturnType<typeof raw>) => Promise<void>, number][] = [
      [
        'subscribe before the ack',
        (r) => r.send({ id: '1', type: 'subscribe', payload: { query: '{ me { id } }' } }),
        4401,
      ],
      [
        'a second connection_init',
        async (r) => {
          await r.send({ type: init.type, payload: init.payload() });
          await r.send({ type: init.type, payload: init.payload() });
        },
        4429,
      ],
      [
        'a duplicate operation id',
        async (r) => {
          await r.send({ type: init.type, payload: init.payload() });
          await until('the connection is acknowledged', () => r.messages.some((m) => m.type === 'connection_ack'));
          const subscription = {
            id: 'same',
            type: 'subscribe',
            payload: { query: 'subscription { userSignedUp { id } }' },
          };
          await r.send({
            ...subscription,
            payload: { query: `subscription { accountActivity(accountId: "x") { id } }` },
          });
          await r.send({
            ...subscription,
            payload: { query: `subscription { accountActivity(accountId: "y") { id } }` },
          });
        },
        4409,
      ],
      ['an oversized frame', (r) => r.send({ type: init.type, payload: { authorization: 'x'.repeat(10_000) } }), 1009],
      ['a bad token', (r) => r.send({ type: init.type, payload: { authorization: 'Bearer nonsense' } }), 4403],
      ['garbage', (r) => r.send('{ not json'), 4400],
    ];
    for (const [name, act, code] of cases) {
      const r = raw();
      await act(r);
      expect({ name, code: await r.closed }).toEqual({ name, code });
    }
    // No connection_init at all: closed when the wait runs out.
    const silent = raw();
    await silent.opened;
    expect(await silent.closed).toBe(4408);

    const stillServed = collect(healthy, 'query { me { id } }');
    expect((await stillServed.until(1))[0].data.me.id).toBe(user.userId);
    await healthy.dispose();
  }, 30_000);

  it('closes the socket when its credential expires, unless the client re-authenticates with a ping', async () => {
    const { kid, key } = await aegisSigningKey(platform);
    const shortLived = (seconds: number) =>
      new SignJWT({ kind: 'user', roles: ['learner'], scopes: [] })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
        .setIssuer(TEST_ISSUER)
        .setAudience('azora')
        .setSubject(user.userId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
        .sign(key);

    const expiring = raw();
    await expiring.send({ type: 'connection_init', payload: { authorization: `Bearer ${await shortLived(2)}` } });
    const started = Date.now();
    expect(await expiring.closed).toBe(4403);
    expect(Date.now() - started).toBeGreaterThan(1_000);

    // Two sockets with the same short-lived credential: the control one is left to expire, the renewed one is given a
    // fresh credential by a ping. The control socket's close is the signal that the first credential has expired.
    const credential = `Bearer ${await shortLived(2)}`;
    const control = raw();
    const renewed = raw();
    let renewedClosed = false;
    void renewed.closed.then(() => (renewedClosed = true));
    await control.send({ type: 'connection_init', payload: { authorization: credential } });
    await renewed.send({ type: 'connection_init', payload: { authorization: credential } });
    const pongs = () => renewed.messages.filter((m) => m.type === 'pong').length;
    await until('the renewed socket is acknowledged', () => renewed.messages.some((m) => m.type === 'connection_ack'));
    await renewed.send({ type: 'ping', payload: { authorization: `Bearer ${await shortLived(60)}` } });
    await until('the renewal is answered', () => pongs() === 1);
    expect(await control.closed).toBe(4403);
    // A round trip after the expiry: had the renewed socket's expiry still been set, it would have closed before this.
    await renewed.send({ type: 'ping' });
    await until('the socket answers after the first credential expired', () => pongs() === 2 || renewedClosed);
    expect(renewedClosed).toBe(false);
    // The pong answers the ping without echoing the credential back.
    const pong = renewed.messages.find((m) => m.type === 'pong');
    expect(pong).toBeDefined();
    expect(JSON.stringify(pong)).not.toContain('Bearer');
    renewed.socket.close();
  }, 20_000);

  it('closes sockets with 1001 when the router shuts down', async () => {
    const own = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis'] });
    const member = await own.signUp('leaving');
    const ws = new WebSocket(wsUrlOf(own.routerUrl), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    const acknowledged = new Promise<void>((resolve) =>
      ws.on('message', (data) => JSON.parse(String(data)).type === 'connection_ack' && resolve()),
    );
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${member.accessToken}` } }));
    await acknowledged;
    await own.router.stop();
    expect(await closed).toBe(1001);
    await own.stop();
  });
});
