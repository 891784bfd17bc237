import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  collect,
  connectWs,
  deposit,
  fundedAccount,
  ok,
  startPlatform,
  testDialects,
  wsUrlOf,
  type Platform,
  type SignedIn,
} from '@azora/testing';

const wsUrl = (platform: Platform) => wsUrlOf(platform.routerUrl);
const connect = (platform: Platform, params: Record<string, unknown>) => connectWs(platform.routerUrl, params);

const ACTIVITY = `subscription Activity($accountId: ID!) {
  accountActivity(accountId: $accountId) {
    direction amount { amount currency } balanceAfter { amount }
    account { id owner { displayName } }
    transfer { kind memo }
  }
}`;

/** A new, empty USD account of `who`'s. */
async function emptyAccount(platform: Platform, who: SignedIn): Promise<string> {
  return (await ok(platform, 'mutation { openAccount(input: { currency: "USD" }) { id } }', {}, who)).openAccount.id;
}

describe.each(testDialects())('subscriptions through the router on %s', (dialect) => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'forge'] });
  });
  afterAll(() => platform?.stop());

  it("delivers a transfer to the owner's accountActivity, with fields from Aegis, and refuses anyone else", async () => {
    const alice = await platform.signUp('Alice');
    const bob = await platform.signUp('Bob');
    const aliceAccount = await fundedAccount(platform, alice, '100.00');
    const bobAccount = await emptyAccount(platform, bob);

    const bobClient = connect(platform, { authorization: `Bearer ${bob.accessToken}` });
    const intruder = connect(platform, { authorization: `Bearer ${alice.accessToken}` });
    try {
      const subscriptions = platform.watchSubscriptions();
      const live = collect(bobClient, ACTIVITY, { accountId: bobAccount });
      await subscriptions.opened(1); // Bob's reached Mint's event stream
      const spying = collect(intruder, ACTIVITY, { accountId: bobAccount });
      const sent = await platform.request(
        'mutation($i: TransferInput!) { transfer(input: $i) { id } }',
        {
          i: {
            fromAccountId: aliceAccount,
            toAccountId: bobAccount,
            amount: '12.50',
            idempotencyKey: 'sub-1',
            memo: 'lunch',
          },
        },
        alice.headers,
      );
      expect(sent.body.errors).toBeUndefined();
      const [event] = await live.until(1);
      expect(event).toEqual({
        data: {
          accountActivity: {
            direction: 'CREDIT',
            amount: { amount: '12.50', currency: 'USD' },
            balanceAfter: { amount: '12.50' },
            account: { id: bobAccount, owner: { displayName: 'Bob' } },
            transfer: { kind: 'TRANSFER', memo: 'lunch' },
          },
        },
      });
      const refused = await spying.until(1);
      expect(refused[0]?.data ?? null).toBeNull();
      expect(refused[0]?.errors?.[0]?.extensions?.code ?? (spying.failure() as any)?.[0]?.extensions?.code).toBe(
        'FORBIDDEN',
      );
      live.unsubscribe();
    } finally {
      await bobClient.dispose();
      await intruder.dispose();
    }
  });

  it("applies the router's operation limits to subscriptions too, and the socket serves a normal one after", async () => {
    const owner = await platform.signUp('limits');
    const account = await emptyAccount(platform, owner);
    const client = connect(platform, { authorization: `Bearer ${owner.accessToken}` });
    const refusal = async (query: string) => {
      const attempt = collect(client, query, { accountId: account });
      await attempt.until(1);
      return (attempt.failure() as any)?.[0]?.extensions;
    };
    try {
      const tooDeep = `subscription($accountId: ID!) { accountActivity(accountId: $accountId) {
        account { owner { accounts { owner { accounts { owner { accounts { owner { accounts { id } } } } } } } } } } }`;
      expect(await refusal(tooDeep)).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'depth' });
      const tooManyTokens = `subscription($accountId: ID!) { accountActivity(accountId: $accountId) { ${'direction '.repeat(1100)} } }`;
      expect(await refusal(tooManyTokens)).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'tokens' });

      const subscriptions = platform.watchSubscriptions();
      const live = collect(client, ACTIVITY, { accountId: account });
      await subscriptions.opened(1);
      await deposit(platform, account, '1.00');
      const [event] = await live.until(1);
      expect(event?.data?.accountActivity?.amount).toEqual({ amount: '1.00', currency: 'USD' });
      live.unsubscribe();
    } finally {
      await client.dispose();
    }
  });

  it('tells admins about every new account (userSignedUp), and nobody else', async () => {
    const admin = await platform.admin();
    const learner = await platform.signUp('curious');
    const adminClient = connect(platform, { authorization: `Bearer ${admin.accessToken}` });
    const learnerClient = connect(platform, { authorization: `Bearer ${learner.accessToken}` });
    try {
      const subscriptions = platform.watchSubscriptions();
      const feed = collect(adminClient, 'subscription { userSignedUp { id displayName email } }', {});
      await subscriptions.opened(1);
      const refused = collect(learnerClient, 'subscription { userSignedUp { id } }', {});
      const newcomer = await platform.signUp('Newcomer');
      // Sign-ups committed a moment earlier may still be on their way from the outbox: find the newcomer among them.
      const deadline = Date.now() + 10_000;
      while (!feed.results.some((r) => r.data?.userSignedUp?.id === newcomer.userId) && Date.now() < deadline)
        await feed.until(feed.results.length + 1, 500);
      expect(feed.results.map((r) => r.data.userSignedUp)).toContainEqual({
        id: newcomer.userId,
        displayName: 'Newcomer',
        email: newcomer.email.toLowerCase(),
      });
      await refused.until(1);
      const code =
        refused.results[0]?.errors?.[0]?.extensions?.code ?? (refused.failure() as any)?.[0]?.extensions?.code;
      expect(code).toBe('FORBIDDEN');
    } finally {
      await adminClient.dispose();
      await learnerClient.dispose();
    }
  });

  it('authenticates the socket: a bad, missing or URL token closes it with 4403', async () => {
    const closeCode = (url: string, params: Record<string, unknown>) =>
      new Promise<number>((resolve) => {
        const client = createClient({
          url,
          webSocketImpl: WebSocket,
          connectionParams: params,
          lazy: false,
          retryAttempts: 0,
          onNonLazyError: () => undefined,
          on: { closed: (event) => resolve((event as { code: number }).code) },
        });
        void client;
      });
    const user = await platform.signUp('socket');
    expect(await closeCode(wsUrl(platform), {})).toBe(4403);
    expect(await closeCode(wsUrl(platform), { authorization: 'Bearer not-a-token' })).toBe(4403);
    expect(
      await closeCode(`${wsUrl(platform)}?access_token=${user.accessToken}`, {
        authorization: `Bearer ${user.accessToken}`,
      }),
    ).toBe(4403);
  });
});
