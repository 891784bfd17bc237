import { Client } from '@urql/core';
import { pipe, subscribe } from 'wonka';
import WebSocket from 'ws';
import { createAzoraClient, type AzoraClient } from '@azora/sdk';
import { until } from '@azora/testing';
import { startLiveServer, TICK_COUNT, TICKS, type LiveServer } from '../../sdk/test/support/live-server';
import { isLive, sdkExchange } from '../src/sdk-exchange';

// The web app's urql exchange, with the SDK as its transport, against a server speaking the router's protocols
// (GraphQL over HTTP and graphql-ws). The browser story covers queries and mutations through it at the real router;
// this covers the subscription path across a dropped connection, which the real router cannot produce on demand.
describe("the web app's urql exchange over the SDK", () => {
  let server: LiveServer;
  let sdk: AzoraClient;
  afterEach(async () => {
    await sdk?.dispose();
    await server?.close();
  });

  it('delivers subscription events through urql, and refetches the queries on screen after the live connection comes back', async () => {
    server = await startLiveServer();
    sdk = createAzoraClient({ url: server.url, webSocketImpl: WebSocket, maxRetryWaitMs: 100 });
    const client = new Client({ url: server.url, exchanges: [sdkExchange(sdk)] });
    const counts: number[] = [];
    const seqs: number[] = [];
    const query = pipe(
      client.query(TICK_COUNT, {}, { requestPolicy: 'network-only' }),
      // urql re-emits the last result marked stale when the query is sent again; only answers count.
      subscribe((result) => result.data && !result.stale && counts.push(result.data.tickCount)),
    );
    const subscription = pipe(
      client.subscription(TICKS, {}),
      subscribe((result) => result.data && seqs.push(result.data.ticks.seq)),
    );
    await until('the query and the subscription', async () => counts.length === 1 && server.subscribes.length === 1);
    server.log.publish();
    await until('the first event', async () => seqs.length === 1);

    server.drop();
    server.log.publish(); // missed: the subscription has no cursor
    await until('the query again after the reconnect', async () => counts.length === 2);
    expect(counts).toEqual([0, 2]);
    expect(server.httpQueries()).toBe(2);
    await until('the subscription again', async () => server.subscribes.length === 2);
    server.log.publish();
    await until('an event after the reconnect', async () => seqs.length === 2);
    expect(seqs).toEqual([1, 3]);

    // Tearing down an operation in urql ends it at the SDK: no more events, no more refetches.
    subscription.unsubscribe();
    query.unsubscribe();
    server.drop();
    server.log.publish();
    // A new subscription makes the SDK connect again, which would also resubscribe and refetch anything it still
    // held: once the probe's own event has arrived, the torn-down operations have had their chance to come back.
    const probe: number[] = [];
    const probing = pipe(
      client.subscription(TICKS, {}),
      subscribe((result) => result.data && probe.push(result.data.ticks.seq)),
    );
    await until('the probe is subscribed', async () => server.subscribes.length >= 3);
    server.log.publish();
    await until('the probe has an event', async () => probe.length === 1);
    probing.unsubscribe();
    expect({ seqs, queries: server.httpQueries(), subscribes: server.subscribes.length }).toEqual({
      seqs: [1, 3],
      queries: 2,
      subscribes: 3,
    });
  });

  it('says on each subscription result whether it is live: once the connection is accepted, not while it is lost', async () => {
    let accept!: () => void;
    const accepted = new Promise<void>((resolve) => (accept = resolve));
    server = await startLiveServer({ beforeAck: () => accepted });
    sdk = createAzoraClient({ url: server.url, webSocketImpl: WebSocket, maxRetryWaitMs: 100 });
    const client = new Client({ url: server.url, exchanges: [sdkExchange(sdk)] });
    const results: { live: boolean; seq?: number }[] = [];
    const subscription = pipe(
      client.subscription(TICKS, {}),
      subscribe((result) => results.push({ live: isLive(result), seq: result.data?.ticks.seq })),
    );
    try {
      // The socket is open and has sent connection_init; until the server acknowledges it, nothing says "live".
      await until('connection_init', async () => server.connections.length === 1);
      expect(results).toEqual([]);
    } finally {
      accept();
    }
    await until('live', async () => results.length === 1);
    await until('the subscription', async () => server.subscribes.length === 1);
    server.log.publish();
    await until('an event', async () => results.length === 2);

    server.drop();
    await until('live again', async () => results.length === 4);
    expect(results).toEqual([{ live: true }, { live: true, seq: 1 }, { live: false }, { live: true }]);
    subscription.unsubscribe();
  });
});
