import { createHash } from 'node:crypto';
import {
  AccountEntriesDocument,
  AzoraError,
  CreateApiKeyDocument,
  createAzoraClient,
  createTokenSession,
  DepositDocument,
  MeDocument,
  memorySessionStore,
  OpenAccountDocument,
  persistedDocumentId,
  persistedDocuments,
  TransferDocument,
  WalletDocument,
  type AzoraClient,
  type StoredSession,
} from '@azora/sdk';
import { startPlatform, type Platform } from '@azora/testing';

/** A fetch that records every GraphQL request it passes on: operation name, the text sent, and the answer's status. */
function recordingFetch() {
  const sent: { operationName: string; query: string; status: number; authorization: string | undefined }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const body = JSON.parse(String(init?.body));
    const headers = new Headers(init?.headers);
    sent.push({
      operationName: body.operationName,
      query: body.query,
      status: response.status,
      authorization: headers.get('authorization') ?? undefined,
    });
    return response;
  };
  return { fetch: recording, sent, named: (name: string) => sent.filter((s) => s.operationName === name) };
}

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const PASSWORD = 'correct horse battery staple';

// The SDK's behaviour does not depend on the database, so one SQLite platform serves the whole file.
describe('@azora/sdk against the real router', () => {
  let platform: Platform;
  let treasury: AzoraClient;

  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'forge'] });
    const { accessToken } = await platform.userWithRoles(['treasury'], 'treasurer');
    treasury = createAzoraClient({ url: platform.routerUrl, getToken: () => accessToken });
  });
  afterAll(() => platform?.stop());

  /** A new person signed up through the SDK, with a client that uses their session. */
  async function person(
    name: string,
    options: { now?: () => number; store?: ReturnType<typeof memorySessionStore> } = {},
  ) {
    const recorder = recordingFetch();
    const session = createTokenSession({ url: platform.routerUrl, fetch: recorder.fetch, ...options });
    const email = `${name}-${Math.random().toString(36).slice(2, 10)}@example.test`;
    await session.signUp({ email, password: PASSWORD, displayName: name });
    const client = createAzoraClient({
      url: platform.routerUrl,
      fetch: recorder.fetch,
      getToken: session.getToken,
      refreshToken: session.refreshToken,
    });
    return { session, client, recorder, email };
  }

  async function fundedAccount(client: AzoraClient, amount: string) {
    const { openAccount } = await client.mutate(OpenAccountDocument, { input: { currency: 'USD' } });
    await treasury.mutate(DepositDocument, {
      input: { accountId: openAccount.id, amount, idempotencyKey: `fund-${openAccount.id}` },
    });
    return openAccount.id;
  }

  const balanceOf = async (client: AzoraClient, accountId: string) =>
    (await client.query(WalletDocument)).me?.accounts?.find((a) => a.id === accountId)?.balance.amount;

  it('moves money with typed operations, and sends the manifest text of every generated document', async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    const from = await fundedAccount(ada.client, '100.00');
    const { openAccount: to } = await bob.client.mutate(OpenAccountDocument, { input: { currency: 'USD' } });

    const { transfer } = await ada.client.mutate(TransferDocument, {
      input: { fromAccountId: from, toAccountId: to.id, amount: '12.50', idempotencyKey: 'sdk-1', memo: 'lunch' },
    });
    expect(transfer).toMatchObject({ kind: 'TRANSFER', amount: { amount: '12.50', currency: 'USD' }, memo: 'lunch' });
    expect(await balanceOf(ada.client, from)).toBe('87.50');
    expect(await balanceOf(bob.client, to.id)).toBe('12.50');
    const { account } = await bob.client.query(AccountEntriesDocument, { accountId: to.id, first: 5 });
    expect(account?.entries.edges.map((e) => [e.node.direction, e.node.amount.amount, e.node.transfer.memo])).toEqual([
      ['CREDIT', '12.50', 'lunch'],
    ]);

    // What a router that accepts only trusted documents checks: the sha256 of the text is the document's manifest id.
    expect(ada.recorder.sent.length).toBeGreaterThan(3);
    for (const { query, operationName } of [...ada.recorder.sent, ...bob.recorder.sent]) {
      expect({ operationName, trusted: persistedDocuments[sha256(query)] }).toEqual({ operationName, trusted: query });
    }
    expect(sha256(ada.recorder.named('Transfer')[0]!.query)).toBe(persistedDocumentId(TransferDocument));
  });

  it('reports insufficient funds and bad amounts as coded errors, and moves nothing', async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    const from = await fundedAccount(ada.client, '10.00');
    const { openAccount: to } = await bob.client.mutate(OpenAccountDocument, { input: { currency: 'USD' } });
    const send = (amount: string, key: string) =>
      ada.client.mutate(TransferDocument, {
        input: { fromAccountId: from, toAccountId: to.id, amount, idempotencyKey: key },
      });

    const tooMuch = await send('10.01', 'too-much').catch((e: unknown) => e);
    expect(tooMuch).toBeInstanceOf(AzoraError);
    expect((tooMuch as AzoraError).code).toBe('INSUFFICIENT_FUNDS');
    const bad = await send('1.234', 'bad-amount').catch((e: unknown) => e);
    expect(bad).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'amount',
      message: 'USD amounts have at most 2 decimal places',
    });

    expect(await balanceOf(ada.client, from)).toBe('10.00');
    expect(await balanceOf(bob.client, to.id)).toBe('0.00');
  });

  it('refreshes once when the router refuses the token, for any number of requests at the same time', async () => {
    const ada = await person('ada');
    const before = ada.session.current!;
    // A token the router refuses (401 UNAUTHENTICATED), as an expired one would be.
    const broken = `${before.accessToken.slice(0, -4)}AAAA`;
    const store = memorySessionStore({ ...before, accessToken: broken });
    const session = createTokenSession({ url: platform.routerUrl, fetch: ada.recorder.fetch, store });
    const client = createAzoraClient({
      url: platform.routerUrl,
      fetch: ada.recorder.fetch,
      getToken: session.getToken,
      refreshToken: session.refreshToken,
    });

    const [me, again, wallet] = await Promise.all([
      client.query(MeDocument),
      client.query(MeDocument),
      client.query(WalletDocument),
    ]);
    expect([me.me?.email, again.me?.email, wallet.me?.id]).toEqual([ada.email, ada.email, me.me?.id]);
    expect(ada.recorder.sent.filter((s) => s.status === 401)).toHaveLength(3);
    // One refresh for all three: a second use of the same refresh token would have ended the whole session.
    expect(ada.recorder.named('RefreshSession')).toHaveLength(1);
    expect(session.current!.refreshToken).not.toBe(before.refreshToken);
    expect((await client.query(MeDocument)).me?.email).toBe(ada.email);
  });

  it('refreshes quietly before the access token expires, so no request is refused', async () => {
    let clock = Date.now();
    const ada = await person('ada', { now: () => clock });
    clock = ada.session.current!.expiresAt - 30_000; // inside the one-minute margin

    expect((await ada.client.query(MeDocument)).me?.email).toBe(ada.email);
    expect(ada.recorder.named('RefreshSession')).toHaveLength(1);
    expect(ada.recorder.sent.filter((s) => s.status === 401)).toEqual([]);
    expect(ada.recorder.named('Me')[0]!.authorization).toBe(`Bearer ${ada.session.current!.accessToken}`);
  });

  it('lets two tabs that share a store refresh without spending the same refresh token twice', async () => {
    let clock = Date.now();
    const ada = await person('ada', { now: () => clock });
    const shared = memorySessionStore(ada.session.current);
    let queue = Promise.resolve();
    // What the Web Locks API gives a browser: one holder at a time.
    const lock = <T>(task: () => Promise<T>) => {
      const run = queue.then(task);
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    };
    const changes: (StoredSession | null)[] = [];
    const tab = () =>
      createTokenSession({
        url: platform.routerUrl,
        fetch: ada.recorder.fetch,
        store: shared,
        lock,
        now: () => clock,
        onChange: (s) => changes.push(s),
      });
    const [one, two] = [tab(), tab()];
    clock = shared.load()!.expiresAt; // both tabs now hold an expired access token

    const [a, b] = await Promise.all([one.getToken(), two.getToken()]);
    expect(a).toBe(b);
    expect(ada.recorder.named('RefreshSession')).toHaveLength(1);
    const client = createAzoraClient({ url: platform.routerUrl, getToken: () => b });
    expect((await client.query(MeDocument)).me?.email).toBe(ada.email);
    expect(changes.map((s) => s?.accessToken)).toEqual([a, a]);
  });

  it('ends the session when the refresh token no longer works, and reports UNAUTHENTICATED', async () => {
    const ada = await person('ada');
    const ended: (StoredSession | null)[] = [];
    // A second holder of the session whose access token the router refuses, so it must refresh.
    const broken = { ...ada.session.current!, accessToken: 'not-a-token' };
    const copy = createTokenSession({
      url: platform.routerUrl,
      store: memorySessionStore(broken),
      onChange: (s) => ended.push(s),
    });
    await ada.session.signOut(); // the server ends the session: its refresh token stops working
    const client = createAzoraClient({
      url: platform.routerUrl,
      getToken: copy.getToken,
      refreshToken: copy.refreshToken,
    });

    const error = await client.query(WalletDocument).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(copy.current).toBeNull();
    expect(ended).toEqual([null]);
  });

  it('works with an API key instead of a token', async () => {
    const ada = await person('ada');
    const { createApiKey } = await ada.client.mutate(CreateApiKeyDocument, {
      input: { name: 'cli', scopes: ['wallet:read'] },
    });
    const device = createAzoraClient({ url: platform.routerUrl, apiKey: createApiKey.secret });
    expect((await device.query(MeDocument)).me?.email).toBe(ada.email);
  });

  it('reports an unreachable router as NETWORK_ERROR', async () => {
    const nowhere = createAzoraClient({ url: 'http://127.0.0.1:9/graphql' });
    await expect(nowhere.query(MeDocument)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });
});
