import { Client } from 'pg';
import { databaseUrlFor, type SqlEntityManager } from '@azora/kit';
import { startPlatform, testDialects, type Platform, type SignedIn } from '@azora/testing';
import { Account } from '../src/entities/account.entity';
import { LedgerEntry } from '../src/entities/ledger-entry.entity';
import { Transfer } from '../src/entities/transfer.entity';

const OPEN = 'mutation { openAccount(input: { currency: "USD" }) { id } }';
const DEPOSIT = 'mutation($input: DepositInput!) { deposit(input: $input) { id } }';
const TRANSFER = `mutation($input: TransferInput!) {
  transfer(input: $input) { id kind amount { amount currency } fromAccountId toAccountId memo idempotencyKey createdAt }
}`;
const REPORT =
  'query { ledgerReport(currency: "USD") { balanced total { amount } transfers problems { accountId transferId problem } } }';

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Runs tasks with at most `concurrency` in flight, like that many clients. */
async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

interface Party {
  user: SignedIn;
  accountId: string;
}

async function setUp(platform: Platform, users: number): Promise<{ parties: Party[]; treasury: SignedIn }> {
  const treasury = await platform.userWithRoles(['treasury'], 'treasurer');
  const parties: Party[] = [];
  for (let i = 0; i < users; i++) {
    const user = await platform.signUp(`payer${i}`);
    const { body } = await platform.request(OPEN, {}, user.headers);
    const accountId = body.data.openAccount.id;
    const deposit = await platform.request(
      DEPOSIT,
      { input: { accountId, amount: '1000.00', idempotencyKey: `fund-${i}` } },
      treasury.headers,
    );
    expect(deposit.body.errors).toBeUndefined();
    parties.push({ user, accountId });
  }
  return { parties, treasury };
}

/** Sends a transfer, retrying (same key) on anything that is not a business answer, as a careful client does. */
async function sendWithRetry(platform: Platform, headers: Record<string, string>, input: Record<string, unknown>) {
  for (let attempt = 0; ; attempt++) {
    const response = await platform
      .request(TRANSFER, { input }, headers)
      .catch(
        (error: Error) => ({ status: 0, body: { errors: [{ message: error.message, extensions: {} }] } }) as never,
      );
    const code = response.body.errors?.[0]?.extensions?.code;
    const business =
      response.body.data?.transfer ||
      ['INSUFFICIENT_FUNDS', 'IDEMPOTENCY_CONFLICT', 'BAD_USER_INPUT', 'FORBIDDEN'].includes(code);
    if (business || attempt >= 20) return response.body;
    // The client's own backoff between retries (part of the client being modelled), not a wait for a state.
    await new Promise((r) => setTimeout(r, Math.min(25 * (attempt + 1), 300)));
  }
}

/** Checks every ledger invariant straight from Mint's database, independently of ledgerReport. */
async function assertInvariants(platform: Platform, expectedUserTotalMinor: bigint) {
  const em = platform.subgraphs.mint!.orm.em.fork() as SqlEntityManager;
  const accounts = await em.find(Account, { currency: 'USD' });
  const entries = await em.find(LedgerEntry, { currency: 'USD' });
  const transfers = await em.find(Transfer, { currency: 'USD' });
  expect(accounts.reduce((sum, a) => sum + a.balanceMinor, 0n)).toBe(0n);
  expect(accounts.filter((a) => a.kind === 'USER').reduce((sum, a) => sum + a.balanceMinor, 0n)).toBe(
    expectedUserTotalMinor,
  );
  const byTransfer = new Map<string, bigint[]>();
  for (const e of entries) byTransfer.set(e.transferId, [...(byTransfer.get(e.transferId) ?? []), e.amountMinor]);
  for (const t of transfers) {
    const sides = byTransfer.get(t.id) ?? [];
    expect({ transfer: t.id, sides: sides.length, sum: sides.reduce((a, b) => a + b, 0n) }).toEqual({
      transfer: t.id,
      sides: 2,
      sum: 0n,
    });
  }
  for (const account of accounts) {
    const own = entries.filter((e) => e.accountId === account.id);
    expect({ account: account.id, balance: own.reduce((a, e) => a + e.amountMinor, 0n), versions: own.length }).toEqual(
      {
        account: account.id,
        balance: account.balanceMinor,
        versions: account.version,
      },
    );
    if (account.kind === 'USER') expect(account.balanceMinor >= 0n).toBe(true);
  }
  const keys = transfers.map((t) => `${t.initiatorId}/${t.idempotencyKey}`);
  expect(new Set(keys).size).toBe(keys.length);
  return transfers;
}

/**
 * How many concurrent transfers the stress test moves. 500 keep 32 in flight over three hot accounts, which is where
 * the races are; a soak runs more (`AZORA_LEDGER_STRESS_TRANSFERS=2000`), and `npm run bench:ledger` measures speed.
 */
const STRESS_TRANSFERS = Number(process.env.AZORA_LEDGER_STRESS_TRANSFERS ?? 500);

describe.each(testDialects())('the ledger under concurrency, through the router, on %s', (dialect) => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'forge'] });
  });
  afterAll(() => platform?.stop());

  it(`moves ${STRESS_TRANSFERS} skewed concurrent transfers with retries exactly once and stays balanced`, async () => {
    // (A generous timeout: the figure that matters is correctness; speed is measured by npm run bench.)
    const { parties, treasury } = await setUp(platform, 20);
    const rand = random(dialect === 'sqlite' ? 7 : 11);
    // Skewed: three hot accounts take part in most transfers.
    const pick = () => (rand() < 0.6 ? Math.floor(rand() * 3) : Math.floor(rand() * parties.length));
    const plans = Array.from({ length: STRESS_TRANSFERS }, (_, i) => {
      const from = pick();
      let to = pick();
      while (to === from) to = Math.floor(rand() * parties.length);
      const cents = 1 + Math.floor(rand() * 500);
      return {
        from: parties[from]!,
        input: {
          fromAccountId: parties[from]!.accountId,
          toAccountId: parties[to]!.accountId,
          amount: (cents / 100).toFixed(2),
          idempotencyKey: `t-${i}`,
        },
        replay: rand() < 0.2 ? (rand() < 0.5 ? 'concurrent' : 'after') : 'none',
      };
    });
    const responses = new Map<string, unknown[]>();
    const record = (key: string, body: unknown) => responses.set(key, [...(responses.get(key) ?? []), body]);
    await pool(
      plans.map((plan) => async () => {
        const send = () =>
          sendWithRetry(platform, plan.from.user.headers, plan.input).then((body) =>
            record(plan.input.idempotencyKey, body),
          );
        if (plan.replay === 'concurrent') await Promise.all([send(), send()]);
        else await send();
        if (plan.replay === 'after') await send();
      }),
      32,
    );
    // A reused key with a different amount is a conflict, never a second movement.
    for (const plan of plans.slice(0, 10)) {
      const body = await sendWithRetry(platform, plan.from.user.headers, {
        ...plan.input,
        amount: '0.01' === plan.input.amount ? '0.02' : '0.01',
      });
      expect(body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    }

    let replays = 0;
    for (const [key, bodies] of responses) {
      const first = bodies[0] as { data?: { transfer?: unknown }; errors?: unknown };
      expect({ key, errors: first.errors }).toEqual({ key, errors: undefined });
      for (const body of bodies.slice(1)) {
        replays += 1;
        expect(body).toEqual(first);
      }
    }
    // About a fifth of the transfers are sent twice (at once or after): well over a tenth are replays.
    expect(replays).toBeGreaterThan(STRESS_TRANSFERS / 10);

    const transfers = await assertInvariants(platform, 20n * 100_000n);
    expect(transfers.filter((t) => t.kind === 'TRANSFER')).toHaveLength(STRESS_TRANSFERS);
    const report = await platform.request(REPORT, {}, treasury.headers);
    expect(report.body.data.ledgerReport).toMatchObject({ balanced: true, total: { amount: '0.00' }, problems: [] });
  }, 300_000);

  it('refuses bad amounts, foreign accounts and overdrafts through the API and moves nothing', async () => {
    const { parties, treasury } = await setUp(platform, 2);
    const [a, b] = parties as [Party, Party];
    for (const amount of ['0', '-3.00', '1.234', '1e3', 'NaN', '99999999999']) {
      const { body } = await platform.request(
        TRANSFER,
        { input: { fromAccountId: a.accountId, toAccountId: b.accountId, amount, idempotencyKey: `bad-${amount}` } },
        a.user.headers,
      );
      expect({ amount, code: body.errors?.[0]?.extensions?.code }).toEqual({ amount, code: 'BAD_USER_INPUT' });
    }
    const stolen = await platform.request(
      TRANSFER,
      { input: { fromAccountId: b.accountId, toAccountId: a.accountId, amount: '1', idempotencyKey: 'steal' } },
      a.user.headers,
    );
    expect(stolen.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const overdraft = await platform.request(
      TRANSFER,
      {
        input: { fromAccountId: a.accountId, toAccountId: b.accountId, amount: '1000.01', idempotencyKey: 'too-much' },
      },
      a.user.headers,
    );
    expect(overdraft.body.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_FUNDS');
    const selfDeposit = await platform.request(
      DEPOSIT,
      { input: { accountId: a.accountId, amount: '5', idempotencyKey: 'self' } },
      a.user.headers,
    );
    expect(selfDeposit.status).toBe(403);
    // Deposit and withdraw are treasury's and admins' by the router's rule alone: Mint does not repeat it.
    const selfWithdrawal = await platform.request(
      'mutation($input: WithdrawInput!) { withdraw(input: $input) { id } }',
      { input: { accountId: a.accountId, amount: '5', idempotencyKey: 'self-out' } },
      a.user.headers,
    );
    expect(selfWithdrawal.status).toBe(403);
    const peek = await platform.request(
      'query($id: ID!) { account(id: $id) { balance { amount } } }',
      { id: a.accountId },
      b.user.headers,
    );
    expect(peek.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const mine = await platform.request(
      'query($id: ID!) { account(id: $id) { balance { amount } entries(first: 5) { edges { node { direction amount { amount } balanceAfter { amount } } } } } }',
      { id: a.accountId },
      a.user.headers,
    );
    expect(mine.body.data.account).toEqual({
      balance: { amount: '1000.00' },
      entries: {
        edges: [{ node: { direction: 'CREDIT', amount: { amount: '1000.00' }, balanceAfter: { amount: '1000.00' } } }],
      },
    });
    expect((await platform.request(REPORT, {}, treasury.headers)).body.data.ledgerReport.balanced).toBe(true);
  }, 180_000);
});

const postgres = testDialects().includes('postgresql') ? describe : describe.skip;
postgres('the ledger when database connections die mid-run (PostgreSQL)', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ dialect: 'postgresql', subgraphs: ['aegis', 'mint', 'forge'] });
  });
  afterAll(() => platform?.stop());

  it("keeps every invariant while pg_terminate_backend kills Mint's connections", async () => {
    const { parties, treasury } = await setUp(platform, 8);
    const mintDb = new URL(platform.subgraphs.mint!.orm.config.getClientUrl()).pathname.slice(1);
    const admin = new Client({ connectionString: databaseUrlFor(process.env.AZORA_TEST_POSTGRES!, 'postgres') });
    await admin.connect();
    let killed = 0;
    // A dozen rounds of killing every Mint connection while the transfers run: one after every 30 transfers answered
    // (paced by progress, not by the clock, so a slow machine still kills mid-run).
    const kills: Promise<void>[] = [];
    let answered = 0;
    const kill = async () => {
      const { rowCount } = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [mintDb],
      );
      killed += rowCount ?? 0;
    };
    const rand = random(3);
    const results = await pool(
      Array.from({ length: 400 }, (_, i) => async () => {
        const from = parties[i % parties.length]!;
        const to = parties[(i + 1 + Math.floor(rand() * (parties.length - 1))) % parties.length]!;
        const body = await sendWithRetry(platform, from.user.headers, {
          fromAccountId: from.accountId,
          toAccountId: to.accountId,
          amount: '1.00',
          idempotencyKey: `fault-${i}`,
        });
        if (++answered % 30 === 0 && kills.length < 12) kills.push(kill());
        return body;
      }),
      16,
    );
    await Promise.all(kills);
    await admin.end();
    expect(killed).toBeGreaterThan(0);
    expect(results.filter((body) => !body.data?.transfer)).toEqual([]);
    const transfers = await assertInvariants(platform, 8n * 100_000n);
    expect(transfers.filter((t) => t.kind === 'TRANSFER')).toHaveLength(400);
    expect((await platform.request(REPORT, {}, treasury.headers)).body.data.ledgerReport.balanced).toBe(true);
  }, 180_000);
});
