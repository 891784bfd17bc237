import type { AddressInfo } from 'node:net';
import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { createAzoraClient, type AzoraClient, type AzoraClientOptions, type AzoraError, type TypedDocumentNode } from '@azora/sdk';

/*
 * The SDK's subscribe() against a real graphql-transport-ws server (graphql-ws, the library the router's subscription
 * server uses), with a small schema of its own: the router does not serve subscriptions yet, and these are the
 * protocol behaviours the SDK owns (credentials in connection_init, reconnect, resume from a cursor, token refresh).
 * The SDK's HTTP side is tested against the real router in client.int.test.ts.
 */

interface Tick {
  seq: number;
}
const TickType = new GraphQLObjectType<Tick>({ name: 'Tick', fields: { seq: { type: new GraphQLNonNull(GraphQLInt) } } });

type TicksDocument = TypedDocumentNode<{ ticks: Tick }, { after?: string | null }>;
const TICKS = parse('subscription Ticks($after: String) { ticks(after: $after) { seq } }') as TicksDocument;

/** A live event log the server streams from: every tick after the cursor, then new ones as they are published. */
class TickLog {
  readonly ticks: Tick[] = [];
  private waiting = new Set<() => void>();
  publish(): void {
    this.ticks.push({ seq: this.ticks.length + 1 });
    for (const wake of this.waiting) wake();
    this.waiting.clear();
  }
  async *after(after: number): AsyncGenerator<{ ticks: Tick }> {
    let seen = after;
    for (;;) {
      while (seen < this.ticks.length) yield { ticks: this.ticks[seen++]! };
      await new Promise<void>((resolve) => this.waiting.add(resolve));
    }
  }
}

interface TestServer {
  url: string;
  log: TickLog;
  /** `authorization` of every connection_init, in order. */
  connections: (string | undefined)[];
  /** Variables of every subscribe message, in order. */
  subscribes: Record<string, unknown>[];
  /** Drops every connection, as a network failure or a router restart would. */
  drop(): void;
  close(): Promise<void>;
}

/**
 * `refuseConnection` closes the socket with 4403 for that authorization (graphql-ws's answer when onConnect returns
 * false); `refuseSubscription` answers UNAUTHENTICATED to the subscription instead, keeping the socket open.
 */
async function startServer(refuse: { connection?: (authorization: string | undefined) => boolean; subscription?: (authorization: string | undefined) => boolean } = {}): Promise<TestServer> {
  const log = new TickLog();
  const connections: (string | undefined)[] = [];
  const subscribes: Record<string, unknown>[] = [];
  const authorizationOf = (params: unknown) => (params as { authorization?: string } | undefined)?.authorization;
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean, resolve: () => true } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: new GraphQLNonNull(TickType),
          args: { after: { type: GraphQLString } },
          subscribe: (_root, args: { after?: string | null }, context: { connectionParams?: unknown }) => {
            if (refuse.subscription?.(authorizationOf(context.connectionParams))) {
              throw new GraphQLError('The token has expired', { extensions: { code: 'UNAUTHENTICATED' } });
            }
            return log.after(Number(args.after ?? 0));
          },
        },
      },
    }),
  });
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const server = useServer(
    {
      schema,
      context: (ctx) => ({ connectionParams: ctx.connectionParams }),
      onConnect: (ctx) => {
        const authorization = authorizationOf(ctx.connectionParams);
        connections.push(authorization);
        return !refuse.connection?.(authorization);
      },
      onSubscribe: (_ctx, _id, payload) => {
        subscribes.push({ ...payload.variables });
      },
    },
    wss,
  );
  await new Promise((resolve) => wss.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}/graphql`,
    log,
    connections,
    subscribes,
    drop: () => wss.clients.forEach((socket) => socket.terminate()),
    close: async () => {
      await server.dispose();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Waits until the condition holds (events arrive asynchronously). */
async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('subscribe() over graphql-ws', () => {
  let server: TestServer;
  let client: AzoraClient;
  const clientFor = (options: Omit<AzoraClientOptions, 'url'>) =>
    (client = createAzoraClient({ url: server.url, webSocketImpl: WebSocket, maxRetryWaitMs: 100, ...options }));

  afterEach(async () => {
    await client?.dispose();
    await server?.close();
  });

  it('sends the credentials in connection_init and delivers typed events', async () => {
    server = await startServer();
    clientFor({ getToken: () => 'token-1' });
    const seqs: number[] = [];
    const stop = client.subscribe(TICKS, {}, { next: ({ ticks }) => seqs.push(ticks.seq) });
    await until(() => server.subscribes.length === 1, 'the subscription');
    server.log.publish();
    server.log.publish();
    await until(() => seqs.length === 2, 'two events');
    expect(seqs).toEqual([1, 2]);
    expect(server.connections).toEqual(['Bearer token-1']);
    stop();

    const device = createAzoraClient({ url: server.url, webSocketImpl: WebSocket, apiKey: 'azk_device' });
    const stopDevice = device.subscribe(TICKS, {}, { next: () => {} });
    await until(() => server.connections.length === 2, 'the API-key connection');
    expect(server.connections[1]).toBe('ApiKey azk_device');
    stopDevice();
    await device.dispose();
  });

  it('resumes from the cursor of the last event after the connection drops: nothing missed, nothing twice', async () => {
    server = await startServer();
    clientFor({ getToken: () => 'token-1' });
    const seqs: number[] = [];
    let reconnected = 0;
    client.subscribe(
      TICKS,
      {},
      { next: ({ ticks }) => seqs.push(ticks.seq), reconnected: () => reconnected++ },
      { resume: { variable: 'after', cursor: ({ ticks }) => String(ticks.seq) } },
    );
    await until(() => server.subscribes.length === 1, 'the subscription');
    server.log.publish();
    server.log.publish();
    await until(() => seqs.length === 2, 'two events');

    server.drop();
    server.log.publish(); // while the client is away
    server.log.publish();
    await until(() => server.subscribes.length === 2, 'the new subscription');
    server.log.publish();
    await until(() => seqs.length === 5, 'five events');
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(server.subscribes).toEqual([{}, { after: '2' }]);
    expect(reconnected).toBe(1);
    expect(server.connections).toEqual(['Bearer token-1', 'Bearer token-1']);
  });

  it('without a cursor, says it reconnected so the caller can refetch what it missed', async () => {
    server = await startServer();
    clientFor({});
    const seqs: number[] = [];
    let reconnected = 0;
    client.subscribe(TICKS, {}, { next: ({ ticks }) => seqs.push(ticks.seq), reconnected: () => reconnected++ });
    await until(() => server.subscribes.length === 1, 'the subscription');
    server.drop();
    await until(() => reconnected === 1, 'the reconnect');
    expect(server.subscribes).toEqual([{}, {}]);
    server.log.publish();
    await until(() => seqs.length === 1, 'an event after the reconnect');
  });

  it('refreshes the token once when the server refuses the connection, then carries on', async () => {
    server = await startServer({ connection: (authorization) => authorization === 'Bearer stale' });
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
    await until(() => server.subscribes.length === 1, 'the subscription on the new connection');
    server.log.publish();
    await until(() => seqs.length === 1, 'an event');
    expect(refreshed).toEqual(['stale']);
    expect(server.connections).toEqual(['Bearer stale', 'Bearer fresh']);
  });

  it('reports a second refusal as final', async () => {
    server = await startServer({ connection: () => true });
    clientFor({ getToken: () => 'stale', refreshToken: async () => 'still-refused' });
    const errors: AzoraError[] = [];
    client.subscribe(TICKS, {}, { next: () => {}, error: (error) => errors.push(error) });
    await until(() => errors.length === 1, 'the error');
    expect(errors[0]!.code).toBe('FORBIDDEN');
    expect(server.connections).toEqual(['Bearer stale', 'Bearer still-refused']);
  });

  it('refreshes when the subscription itself is refused as UNAUTHENTICATED, on a new connection', async () => {
    server = await startServer({ subscription: (authorization) => authorization === 'Bearer stale' });
    let token = 'stale';
    clientFor({ getToken: () => token, refreshToken: async () => (token = 'fresh') });
    const seqs: number[] = [];
    const errors: AzoraError[] = [];
    client.subscribe(TICKS, {}, { next: ({ ticks }) => seqs.push(ticks.seq), error: (error) => errors.push(error) });
    await until(() => server.subscribes.length === 2, 'the second subscription');
    server.log.publish();
    await until(() => seqs.length === 1, 'an event');
    expect(errors).toEqual([]);
    expect(server.connections).toEqual(['Bearer stale', 'Bearer fresh']);
  });
});
