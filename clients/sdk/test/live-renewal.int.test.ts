import WebSocket from 'ws';
import {
  AccountActivityDocument,
  createAzoraClient,
  createTokenSession,
  DepositDocument,
  OpenAccountDocument,
  tokenExpiry,
  TransferDocument,
  type AzoraClient,
  type AzoraError,
  type TokenSession,
} from '@azora/sdk';
import { startPlatform, until, wsUrlOf, type Platform } from '@azora/testing';

/*
 * A live subscription outlives its access token against the real router: the router closes a socket (4403) when the
 * credential it was opened with expires, unless the client re-authenticates it with a ping carrying a fresh token.
 * Aegis issues 30-second tokens here (its shortest), so the test waits out one expiry.
 */

const PASSWORD = 'correct horse battery staple';
const TOKEN_SECONDS = 30;

/** A WebSocket that counts how many times it was opened. */
function countingWebSocket() {
  const opened: string[] = [];
  class Counting extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      opened.push(String(args[0]));
    }
  }
  return { impl: Counting, opened };
}

describe('the SDK renews a live connection’s credentials against the real router', () => {
  let platform: Platform;
  const clients: AzoraClient[] = [];

  beforeAll(async () => {
    platform = await startPlatform({
      dialect: 'sqlite',
      subgraphs: ['aegis', 'mint', 'nexus', 'forge'],
      env: { AEGIS_ACCESS_TOKEN_TTL_SECONDS: String(TOKEN_SECONDS) },
    });
  }, 60_000);
  // Also when an expectation fails: an open SDK socket would keep reconnecting and keep jest alive.
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(() => platform?.stop());

  async function person(
    name: string,
    webSocketImpl?: unknown,
  ): Promise<{ session: TokenSession; client: AzoraClient }> {
    // A 10 s margin: the session refreshes quietly in the last third of a 30 s token's life.
    const session = createTokenSession({ url: platform.routerUrl, refreshMarginMs: 10_000 });
    await session.signUp({
      email: `${name}-${Math.random().toString(36).slice(2, 10)}@example.test`,
      password: PASSWORD,
      displayName: name,
    });
    const client = createAzoraClient({
      url: platform.routerUrl,
      getToken: session.getToken,
      refreshToken: session.refreshToken,
      webSocketImpl,
    });
    clients.push(client);
    return { session, client };
  }

  it('keeps one socket open past the first token’s expiry, and events keep arriving on it', async () => {
    const { accessToken: treasuryToken } = await platform.userWithRoles(['treasury'], 'treasurer');
    const treasury = createAzoraClient({ url: platform.routerUrl, getToken: () => treasuryToken });
    const ada = await person('ada');
    const socket = countingWebSocket();
    const bob = await person('bob', socket.impl);
    const { openAccount: from } = await ada.client.mutate(OpenAccountDocument, { input: { currency: 'USD' } });
    const { openAccount: to } = await bob.client.mutate(OpenAccountDocument, { input: { currency: 'USD' } });
    await treasury.mutate(DepositDocument, {
      input: { accountId: from.id, amount: '10.00', idempotencyKey: `renewal-${from.id}` },
    });

    const firstToken = bob.session.current!.accessToken;
    const firstExpiry = tokenExpiry(firstToken)!;
    expect(firstExpiry - Date.now()).toBeLessThanOrEqual(TOKEN_SECONDS * 1000);

    // A control socket on the same first token that is never renewed: the router closing it (4403) is the signal that
    // the first token has expired, so the test waits for that rather than for a duration.
    const control = new WebSocket(wsUrlOf(platform.routerUrl), 'graphql-transport-ws');
    const controlClosed = new Promise<number>((resolve) => control.on('close', (code) => resolve(code)));
    control.on('error', () => undefined);
    control.once('open', () =>
      control.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${firstToken}` } })),
    );

    const received: string[] = [];
    const failures: AzoraError[] = [];
    let reconnects = 0;
    const subscriptions = platform.watchSubscriptions();
    const stop = bob.client.subscribe(
      AccountActivityDocument,
      { accountId: to.id },
      {
        next: (event) => received.push(event.accountActivity.amount.amount),
        error: (e) => failures.push(e),
        reconnected: () => reconnects++,
      },
    );
    let sent = 0;
    const send = (amount: string) =>
      ada.client.mutate(TransferDocument, {
        input: { fromAccountId: from.id, toAccountId: to.id, amount, idempotencyKey: `renewal-${++sent}-${to.id}` },
      });

    // The subscription is live once it has reached Mint's event stream.
    await subscriptions.opened(1);
    await send('0.01');
    await until('the first event', () => received.includes('0.01'), 20_000);

    // Past the first token's expiry: without a renewal the router would close Bob's socket as it closed this one.
    expect(await controlClosed).toBe(4403);
    expect(Date.now()).toBeGreaterThanOrEqual(firstExpiry);
    await send('2.00');
    await until('the event sent after the first token expired', async () => received.includes('2.00'), 20_000);

    expect(bob.session.current!.accessToken).not.toBe(firstToken); // refreshed quietly
    expect({ sockets: socket.opened.length, reconnects, failures }).toEqual({
      sockets: 1,
      reconnects: 0,
      failures: [],
    });
    stop();
  }, 90_000);
});
