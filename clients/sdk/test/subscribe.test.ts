import WebSocket from 'ws';
import { createAzoraClient, type AzoraClient, type AzoraClientOptions, type AzoraError } from '@azora/sdk';
import { until } from '@azora/testing';
import { startLiveServer, TICKS, type LiveServer } from './support/live-server';

/*
 * The SDK's subscribe() against a real graphql-transport-ws server (support/live-server.ts), which can force the
 * drops, 4403 expiries and refusals the real router cannot produce on demand: these are the protocol behaviours the SDK
 * owns (credentials in connection_init, reconnect, resume from a cursor, token refresh). The SDK's HTTP side is tested
 * against the real router in client.int.test.ts.
 */

describe('subscribe() over graphql-ws', () => {
  let server: LiveServer;
  let client: AzoraClient;
  const clientFor = (options: Omit<AzoraClientOptions, 'url'>) =>
    (client = createAzoraClient({ url: server.url, webSocketImpl: WebSocket, maxRetryWaitMs: 100, ...options }));

  afterEach(async () => {
    await client?.dispose();
    await server?.close();
  });

  it('sends the credentials in connection_init and delivers typed events', async () => {
    server = await startLiveServer();
    clientFor({ getToken: () => 'token-1' });
    const seqs: number[] = [];
    const stop = client.subscribe(TICKS, {}, { next: ({ ticks }) => seqs.push(ticks.seq) });
    await until('the subscription', async () => server.subscribes.length === 1);
    server.log.publish();
    server.log.publish();
    await until('two events', async () => seqs.length === 2);
    expect(seqs).toEqual([1, 2]);
    expect(server.connections).toEqual(['Bearer token-1']);
    stop();

    const device = createAzoraClient({ url: server.url, webSocketImpl: WebSocket, apiKey: 'azk_device' });
    const stopDevice = device.subscribe(TICKS, {}, { next: () => {} });
    await until('the API-key connection', async () => server.connections.length === 2);
    expect(server.connections[1]).toBe('ApiKey azk_device');
    stopDevice();
    await device.dispose();
  });

  it('resumes from the cursor of the last event after the connection drops: nothing missed, nothing twice', async () => {
    server = await startLiveServer();
    clientFor({ getToken: () => 'token-1' });
    const seqs: number[] = [];
    let reconnected = 0;
    client.subscribe(
      TICKS,
      {},
      { next: ({ ticks }) => seqs.push(ticks.seq), reconnected: () => reconnected++ },
      { resume: { variable: 'after', cursor: ({ ticks }) => String(ticks.seq) } },
    );
    await until('the subscription', async () => server.subscribes.length === 1);
    server.log.publish();
    server.log.publish();
    await until('two events', async () => seqs.length === 2);

    server.drop();
    server.log.publish(); // while the client is away
    server.log.publish();
    await until('the new subscription', async () => server.subscribes.length === 2);
    server.log.publish();
    await until('five events', async () => seqs.length === 5);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(server.subscribes).toEqual([{}, { after: '2' }]);
    expect(reconnected).toBe(1);
    expect(server.connections).toEqual(['Bearer token-1', 'Bearer token-1']);
  });

  it('without a cursor, says it reconnected so the caller can refetch what it missed', async () => {
    server = await startLiveServer();
    clientFor({});
    const seqs: number[] = [];
    let reconnected = 0;
    client.subscribe(TICKS, {}, { next: ({ ticks }) => seqs.push(ticks.seq), reconnected: () => reconnected++ });
    await until('the subscription', async () => server.subscribes.length === 1);
    server.drop();
    await until('the reconnect', async () => reconnected === 1);
    expect(server.subscribes).toEqual([{}, {}]);
    server.log.publish();
    await until('an event after the reconnect', async () => seqs.length === 1);
  });

  it('says when the connection is accepted (not before), lost and back; a subscription on an open one is live at once', async () => {
    let accept!: () => void;
    const accepted = new Promise<void>((resolve) => (accept = resolve));
    server = await startLiveServer({ beforeAck: () => accepted });
    clientFor({});
    const first: string[] = [];
    const second: string[] = [];
    const observe = (states: string[]) => ({
      next: () => states.push('event'),
      connected: () => states.push('connected'),
      disconnected: () => states.push('disconnected'),
      reconnected: () => states.push('reconnected'),
    });
    client.subscribe(TICKS, {}, observe(first));
    try {
      // The socket is open and connection_init has arrived, but the server has not acknowledged it: not live yet.
      await until('connection_init', async () => server.connections.length === 1);
      expect(first).toEqual([]);
    } finally {
      accept(); // else closing the server waits for the held connection
    }
    await until('connected', async () => first.length === 1);
    expect(first).toEqual(['connected']);

    // Another subscription on the same open connection: graphql-ws sends no new connection_ack.
    const stopSecond = client.subscribe(TICKS, {}, observe(second));
    await until('the second subscription', async () => server.subscribes.length === 2 && second.length === 1);
    expect({ second, connections: server.connections.length }).toEqual({ second: ['connected'], connections: 1 });

    server.drop();
    await until('back', async () => first.length === 4 && second.length === 4);
    expect(first).toEqual(['connected', 'disconnected', 'connected', 'reconnected']);
    expect(second).toEqual(['connected', 'disconnected', 'connected', 'reconnected']);

    // A stopped subscription hears nothing more.
    stopSecond();
    server.drop();
    // `reconnected` comes with the acknowledgement; the subscribe message for it reaches the server a moment later.
    await until('back again, and subscribed', async () => first.length === 7 && server.subscribes.length >= 5);
    expect(first.slice(4)).toEqual(['disconnected', 'connected', 'reconnected']);
    expect({ second: second.length, subscribes: server.subscribes.length }).toEqual({ second: 4, subscribes: 5 });
  });

  it('refreshes the token once when the server refuses the connection, then carries on', async () => {
    server = await startLiveServer({ connection: (authorization) => authorization === 'Bearer stale' });
    let token = 'stale';
    const refreshed: (string | null)[] = [];
    clientFor({
      getToken: () => token,
      refreshToken: async (rejected) => {
        refreshed.push(rejected);
        return (token = 'fresh');
      },
    });
    const seqs: number[] = [];
    client.subscribe(TICKS, {}, { next: ({ ticks }) => seqs.push(ticks.seq) });
    await until('the subscription on the new connection', async () => server.subscribes.length === 1);
    server.log.publish();
    await until('an event', async () => seqs.length === 1);
    expect(refreshed).toEqual(['stale']);
    expect(server.connections).toEqual(['Bearer stale', 'Bearer fresh']);
  });

  it('outlives the router closing the socket each time its credential expires, with a refresh each time', async () => {
    server = await startLiveServer();
    let token = 'token-1';
    const refreshed: (string | null)[] = [];
    clientFor({
      getToken: () => token,
      refreshToken: async (rejected) => {
        refreshed.push(rejected);
        return (token = `token-${refreshed.length + 1}`);
      },
    });
    const seqs: number[] = [];
    const errors: AzoraError[] = [];
    client.subscribe(TICKS, {}, { next: ({ ticks }) => seqs.push(ticks.seq), error: (error) => errors.push(error) });
    for (let expiry = 1; expiry <= 2; expiry++) {
      await until(`subscription ${expiry}`, async () => server.subscribes.length === expiry);
      server.expire(); // no event in between: the page was quiet
    }
    await until('the subscription after the second expiry', async () => server.subscribes.length === 3);
    server.log.publish();
    await until('an event', async () => seqs.length === 1);
    expect(errors).toEqual([]);
    expect(refreshed).toEqual(['token-1', 'token-2']);
    expect(server.connections).toEqual(['Bearer token-1', 'Bearer token-2', 'Bearer token-3']);
  });

  it('reports a second refusal as final', async () => {
    server = await startLiveServer({ connection: () => true });
    clientFor({ getToken: () => 'stale', refreshToken: async () => 'still-refused' });
    const errors: AzoraError[] = [];
    client.subscribe(TICKS, {}, { next: () => {}, error: (error) => errors.push(error) });
    await until('the error', async () => errors.length === 1);
    expect(errors[0]!.code).toBe('FORBIDDEN');
    expect(server.connections).toEqual(['Bearer stale', 'Bearer still-refused']);
  });

  it('refreshes when the subscription itself is refused as UNAUTHENTICATED, on a new connection', async () => {
    server = await startLiveServer({ subscription: (authorization) => authorization === 'Bearer stale' });
    let token = 'stale';
    clientFor({ getToken: () => token, refreshToken: async () => (token = 'fresh') });
    const seqs: number[] = [];
    const errors: AzoraError[] = [];
    client.subscribe(TICKS, {}, { next: ({ ticks }) => seqs.push(ticks.seq), error: (error) => errors.push(error) });
    await until('the subscription on the new connection', async () => server.subscribes.length === 1);
    server.log.publish();
    await until('an event', async () => seqs.length === 1);
    expect(errors).toEqual([]);
    expect(server.connections).toEqual(['Bearer stale', 'Bearer fresh']);
  });
});
