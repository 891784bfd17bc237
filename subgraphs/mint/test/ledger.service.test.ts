import { GraphQLError } from 'graphql';
import { OutboxEvent, requestContext, type Identity, type Orm, type SqlEntityManager } from '@azora/kit';
import { codeOf, scratchOrm } from '@azora/testing';
import { Account } from '../src/entities/account.entity';
import { Currency } from '../src/entities/currency.entity';
import { LedgerEntry } from '../src/entities/ledger-entry.entity';
import { Transfer } from '../src/entities/transfer.entity';
import { DEFAULT_CURRENCIES } from '../src/money';
import { mint } from '../src/schema';

const person = (userId: string, roles: string[] = []): Identity => ({ kind: 'user', userId, roles, scopes: [] });
const treasury = person('treasurer', ['treasury']);
const ada = person('ada');
const bob = person('bob');

describe('LedgerService (SQLite)', () => {
  let orm: Orm;
  let drop: () => Promise<void>;
  /** Mint's services as one request of this caller sees them. */
  const as = (identity: Identity) =>
    requestContext(mint, {
      em: orm.em.fork() as SqlEntityManager,
      identity,
      config: { AZORA_MINT_MAX_AMOUNT: 1_000_000 },
    }).services;
  const counts = async () => {
    const em = orm.em.fork();
    return {
      transfers: await em.count(Transfer),
      entries: await em.count(LedgerEntry),
      events: await em.count(OutboxEvent),
    };
  };
  const balanceOf = async (id: string) => (await orm.em.fork().findOneOrFail(Account, { id })).balanceMinor;

  beforeAll(async () => {
    ({ orm, drop } = await scratchOrm(mint));
    await orm.em.fork().upsertMany(
      Currency,
      DEFAULT_CURRENCIES.map((c) => ({ ...c })),
    );
  });
  afterAll(() => drop?.());

  async function funded(owner: Identity, amount: string, currency = 'USD') {
    const account = await as(owner).ledger.openAccount(currency);
    await as(treasury).ledger.deposit({ accountId: account.id, amount, idempotencyKey: `fund-${account.id}` });
    return account;
  }

  it('opens accounts for people only, in supported currencies only', async () => {
    expect((await as(ada).ledger.openAccount('USD')).balanceMinor).toBe(0n);
    expect(await codeOf(as(ada).ledger.openAccount('XYZ'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(as({ kind: 'client', userId: 'c', roles: [], scopes: [] }).ledger.openAccount('USD'))).toBe(
      'FORBIDDEN',
    );
  });

  it('deposits as double entry from the SYSTEM account, which goes negative', async () => {
    const account = await as(ada).ledger.openAccount('EUR');
    const before = await balanceOf('system:EUR').catch(() => 0n);
    const transfer = await as(treasury).ledger.deposit({
      accountId: account.id,
      amount: '12.34',
      idempotencyKey: 'eur-dep-1',
    });
    expect(transfer).toMatchObject({
      kind: 'DEPOSIT',
      amountMinor: 1234n,
      fromAccountId: 'system:EUR',
      toAccountId: account.id,
    });
    const entries = await orm.em
      .fork()
      .find(LedgerEntry, { transferId: transfer.id }, { orderBy: { amountMinor: 'asc' } });
    expect(entries.map((e) => [e.accountId, e.amountMinor, e.balanceAfterMinor])).toEqual([
      ['system:EUR', -1234n, before - 1234n],
      [account.id, 1234n, 1234n],
    ]);
    expect(await balanceOf('system:EUR')).toBe(before - 1234n);
  });

  it('refuses bad amounts with BAD_USER_INPUT and writes nothing', async () => {
    const account = await as(ada).ledger.openAccount('USD');
    const before = await counts();
    for (const amount of ['0', '-1', '1.001', '1e2', 'NaN', 'abc', '1000000.01']) {
      expect(
        await codeOf(as(treasury).ledger.deposit({ accountId: account.id, amount, idempotencyKey: `bad-${amount}` })),
      ).toBe('BAD_USER_INPUT');
    }
    expect(
      await codeOf(as(treasury).ledger.deposit({ accountId: account.id, amount: '1', idempotencyKey: 'has spaces' })),
    ).toBe('BAD_USER_INPUT');
    expect(await counts()).toEqual(before);
  });

  it('never lets a user balance go below zero', async () => {
    const account = await funded(ada, '10.00');
    const other = await as(bob).ledger.openAccount('USD');
    const before = await counts();
    expect(
      await codeOf(
        as(treasury).ledger.withdraw({ accountId: account.id, amount: '10.01', idempotencyKey: 'w-too-much' }),
      ),
    ).toBe('INSUFFICIENT_FUNDS');
    expect(
      await codeOf(
        as(ada).ledger.transfer({
          fromAccountId: account.id,
          toAccountId: other.id,
          amount: '10.01',
          idempotencyKey: 't-too-much',
        }),
      ),
    ).toBe('INSUFFICIENT_FUNDS');
    expect(await counts()).toEqual(before);
    expect(await balanceOf(account.id)).toBe(1000n);
  });

  it('transfers only from the owner, between different accounts of one currency', async () => {
    const from = await funded(ada, '50.00');
    const to = await as(bob).ledger.openAccount('USD');
    const euros = await as(bob).ledger.openAccount('EUR');
    expect(
      await codeOf(
        as(bob).ledger.transfer({ fromAccountId: from.id, toAccountId: to.id, amount: '1', idempotencyKey: 'k1' }),
      ),
    ).toBe('FORBIDDEN');
    expect(
      await codeOf(
        as(ada).ledger.transfer({ fromAccountId: from.id, toAccountId: from.id, amount: '1', idempotencyKey: 'k2' }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      await codeOf(
        as(ada).ledger.transfer({ fromAccountId: from.id, toAccountId: euros.id, amount: '1', idempotencyKey: 'k3' }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      await codeOf(
        as(ada).ledger.transfer({
          fromAccountId: from.id,
          toAccountId: 'system:USD',
          amount: '1',
          idempotencyKey: 'k4',
        }),
      ),
    ).toBe('NOT_FOUND');
    const transfer = await as(ada).ledger.transfer({
      fromAccountId: from.id,
      toAccountId: to.id,
      amount: '20.5',
      idempotencyKey: 'k5',
      memo: ' rent ',
    });
    expect(transfer).toMatchObject({ amountMinor: 2050n, memo: 'rent' });
    expect([await balanceOf(from.id), await balanceOf(to.id)]).toEqual([2950n, 2050n]);
  });

  it('replays a retried request exactly once and refuses a reused key with another request', async () => {
    const from = await funded(ada, '100.00');
    const to = await as(bob).ledger.openAccount('USD');
    const input = { fromAccountId: from.id, toAccountId: to.id, amount: '7.00', idempotencyKey: 'pay-once' };
    const first = await as(ada).ledger.transfer(input);
    const again = await as(ada).ledger.transfer(input);
    expect(again.id).toBe(first.id);
    expect(await balanceOf(to.id)).toBe(700n);
    expect(await codeOf(as(ada).ledger.transfer({ ...input, amount: '8.00' }))).toBe('IDEMPOTENCY_CONFLICT');
    expect(await codeOf(as(ada).ledger.transfer({ ...input, memo: 'different' }))).toBe('IDEMPOTENCY_CONFLICT');
    // Keys are per caller: Bob may use the same key for his own request.
    await as(bob).ledger.transfer({
      fromAccountId: to.id,
      toAccountId: from.id,
      amount: '1.00',
      idempotencyKey: 'pay-once',
    });
  });

  it('applies concurrent duplicates once', async () => {
    const from = await funded(ada, '100.00');
    const to = await as(bob).ledger.openAccount('USD');
    const input = { fromAccountId: from.id, toAccountId: to.id, amount: '3.00', idempotencyKey: 'dup-storm' };
    const results = await Promise.all(Array.from({ length: 12 }, () => as(ada).ledger.transfer(input)));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await balanceOf(to.id)).toBe(300n);
  });

  it('writes the domain event in the same transaction as the transfer, and none for a refused one', async () => {
    const from = await funded(ada, '5.00');
    const to = await as(bob).ledger.openAccount('USD');
    const before = await counts();
    const transfer = await as(ada).ledger.transfer({
      fromAccountId: from.id,
      toAccountId: to.id,
      amount: '1',
      idempotencyKey: 'evt',
    });
    await codeOf(
      as(ada).ledger.transfer({
        fromAccountId: from.id,
        toAccountId: to.id,
        amount: '100',
        idempotencyKey: 'evt-fail',
      }),
    );
    expect(await counts()).toEqual({
      transfers: before.transfers + 1,
      entries: before.entries + 2,
      events: before.events + 1,
    });
    const event = await orm.em
      .fork()
      .findOneOrFail(OutboxEvent, { type: 'mint.transfer.completed' }, { orderBy: { id: 'desc' } });
    expect(event.payload).toMatchObject({ transferId: transfer.id, amountMinor: '100', currency: 'USD' });
  });

  it('holds money in escrow until it is released or refunded, exactly once', async () => {
    const payer = await funded(ada, '100.00');
    const payee = await as(bob).ledger.openAccount('USD');
    const hold = await as(ada).ledger.placeHold({
      accountId: payer.id,
      amount: '40.00',
      idempotencyKey: 'hold-1',
      reference: 'forge:contract:1',
    });
    expect(hold).toMatchObject({ status: 'ACTIVE', amountMinor: 4000n });
    expect(
      (
        await as(ada).ledger.placeHold({
          accountId: payer.id,
          amount: '40.00',
          idempotencyKey: 'hold-1',
          reference: 'forge:contract:1',
        })
      ).id,
    ).toBe(hold.id);
    expect(await balanceOf(payer.id)).toBe(6000n);
    // Held money is not spendable.
    expect(
      await codeOf(
        as(treasury).ledger.withdraw({ accountId: payer.id, amount: '60.01', idempotencyKey: 'spend-held' }),
      ),
    ).toBe('INSUFFICIENT_FUNDS');
    expect(await codeOf(as(bob).ledger.releaseHold({ holdId: hold.id, payeeAccountId: payee.id }))).toBe('FORBIDDEN');

    const released = await as(ada).ledger.releaseHold({ holdId: hold.id, payeeAccountId: payee.id });
    expect(released).toMatchObject({ status: 'RELEASED', payeeAccountId: payee.id });
    expect((await as(treasury).ledger.releaseHold({ holdId: hold.id, payeeAccountId: payee.id })).status).toBe(
      'RELEASED',
    );
    expect(await codeOf(as(ada).ledger.refundHold({ holdId: hold.id }))).toBe('CONFLICT');
    expect([await balanceOf(payer.id), await balanceOf(payee.id)]).toEqual([6000n, 4000n]);

    const second = await as(ada).ledger.placeHold({ accountId: payer.id, amount: '10.00', idempotencyKey: 'hold-2' });
    const [a, b] = await Promise.allSettled([
      as(ada).ledger.refundHold({ holdId: second.id }),
      as(treasury).ledger.releaseHold({ holdId: second.id, payeeAccountId: payee.id }),
    ]);
    const outcomes = [a, b].map((r) =>
      r.status === 'fulfilled' ? r.value.status : (r.reason as GraphQLError).extensions.code,
    );
    expect(outcomes.sort()).toEqual(expect.arrayContaining(['CONFLICT']));
    expect(outcomes.filter((o) => o === 'REFUNDED' || o === 'RELEASED')).toHaveLength(1);
    expect(
      await codeOf(as(ada).ledger.placeHold({ accountId: payer.id, amount: '1000', idempotencyKey: 'hold-3' })),
    ).toBe('INSUFFICIENT_FUNDS');
  });

  it('reconciles to balanced, and names a tampered balance', async () => {
    const em = orm.em.fork() as SqlEntityManager;
    const report = await as(treasury).reports.ledgerReport('USD');
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ balanced: true, totalMinor: 0n });
    const victim = await funded(bob, '1.00');
    await em.nativeUpdate(Account, { id: victim.id }, { balanceMinor: 999_999n });
    const tampered = await as(treasury).reports.ledgerReport('USD');
    expect(tampered.balanced).toBe(false);
    expect(tampered.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ accountId: victim.id, problem: expect.stringMatching(/entries sum to 100/) }),
      ]),
    );
    await em.nativeUpdate(Account, { id: victim.id }, { balanceMinor: 100n });
  });
});
