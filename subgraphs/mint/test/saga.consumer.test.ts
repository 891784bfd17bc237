import {
  requestContext,
  consumeOnce,
  createLogger,
  newId,
  OutboxEvent,
  ProcessedEvent,
  type DomainEvent,
  type Identity,
  type Orm,
  type SqlEntityManager,
} from '@azora/kit';
import { scratchOrm } from '@azora/testing';
import { Account } from '../src/entities/account.entity';
import { Currency } from '../src/entities/currency.entity';
import { Hold } from '../src/entities/hold.entity';
import { Transfer } from '../src/entities/transfer.entity';
import { contractEscrows } from '../src/escrow';
import { DEFAULT_CURRENCIES } from '../src/money';
import { escrowConsumer, mint } from '../src/schema';

const log = createLogger('mint', 'silent');
const treasury: Identity = { kind: 'user', userId: 'treasurer', roles: ['treasury'], scopes: [] };
const person = (userId: string): Identity => ({ kind: 'user', userId, roles: [], scopes: [] });

describe("Mint's side of the contract saga (SQLite)", () => {
  let orm: Orm;
  let drop: () => Promise<void>;
  const em = () => orm.em.fork() as SqlEntityManager;
  const config = { AZORA_MINT_MAX_AMOUNT: 1_000_000 };
  /** Mint's ledger as one request of this caller sees it. */
  const ledger = (identity: Identity) => requestContext(mint, { em: em(), identity, config }).services.ledger;
  const consumer = escrowConsumer(config);

  beforeAll(async () => {
    ({ orm, drop } = await scratchOrm(mint));
    await em().upsertMany(
      Currency,
      DEFAULT_CURRENCIES.map((c) => ({ ...c })),
    );
  });
  afterAll(() => drop?.());

  /** A Forge contract event, as Forge's outbox would publish it (Forge's whole payload: Mint reads with its schema). */
  const forgeEvent = (type: string, contract: Record<string, string>, id = newId()): DomainEvent => ({
    id,
    topic: 'forge.contract',
    type,
    source: 'forge',
    occurredAt: new Date().toISOString(),
    payload: {
      jobId: newId(),
      applicationId: newId(),
      amount: '250.00',
      currency: 'USD',
      status: 'PENDING_FUNDING',
      reason: null,
      ...contract,
    },
  });
  const handle = (event: DomainEvent, escrow = consumer) => consumeOnce(orm, escrow, event, log);
  /** Mint's answers about one contract, oldest first. */
  const answers = async (contractId: string) =>
    (await em().find(OutboxEvent, { topic: 'mint.hold' }, { orderBy: { id: 'asc' } }))
      .filter((e) => e.payload.contractId === contractId)
      .map((e) => e.payload);
  const balance = async (id: string) => (await em().findOneOrFail(Account, { id })).balanceMinor;

  async function parties(funds: string) {
    const employerId = newId();
    const account = await ledger(person(employerId)).openAccount('USD');
    if (funds !== '0')
      await ledger(treasury).deposit({ accountId: account.id, amount: funds, idempotencyKey: `fund-${account.id}` });
    return { contractId: newId(), employerId, freelancerId: newId(), accountId: account.id };
  }

  it("holds the budget from the employer's account once, however often the request comes", async () => {
    const c = await parties('1000.00');
    const created = forgeEvent('forge.contract.created', c);
    expect(await handle(created)).toBe(true);
    expect(await handle(created)).toBe(false); // redelivered: already handled
    await handle(forgeEvent('forge.contract.created', c)); // asked again (a new event): the key finds the same hold
    const holds = await contractEscrows(em(), [c.contractId]);
    expect(holds).toHaveLength(1);
    expect(holds[0]!.hold).toMatchObject({
      accountId: c.accountId,
      amountMinor: 25_000n,
      status: 'ACTIVE',
      reference: `forge:contract:${c.contractId}`,
    });
    expect(await balance(c.accountId)).toBe(75_000n);
    expect(await answers(c.contractId)).toEqual([
      { contractId: c.contractId, holdId: holds[0]!.hold.id, amount: '250.00', currency: 'USD', payeeAccountId: null },
      { contractId: c.contractId, holdId: holds[0]!.hold.id, amount: '250.00', currency: 'USD', payeeAccountId: null },
    ]);
  });

  it('answers mint.hold.failed, holding nothing, when the employer cannot pay', async () => {
    const poor = await parties('100.00');
    await handle(forgeEvent('forge.contract.created', poor));
    const none = { contractId: newId(), employerId: newId(), freelancerId: newId() };
    await handle(forgeEvent('forge.contract.created', none));
    expect(await contractEscrows(em(), [poor.contractId, none.contractId])).toEqual([]);
    expect(await balance(poor.accountId)).toBe(10_000n);
    expect(await answers(poor.contractId)).toEqual([
      {
        contractId: poor.contractId,
        step: 'place',
        code: 'INSUFFICIENT_FUNDS',
        reason: 'The account does not have enough money for this',
      },
    ]);
    expect((await answers(none.contractId))[0]).toMatchObject({
      step: 'place',
      reason: 'The employer has no USD account',
    });
    // The refusal is an answer, not a failure: the event counts as handled and is not retried.
    expect(await em().count(ProcessedEvent, { consumer: consumer.name })).toBeGreaterThanOrEqual(2);
  });

  it('pays the freelancer into an account opened for them, exactly once, and then refuses a refund', async () => {
    const c = await parties('500.00');
    await handle(forgeEvent('forge.contract.created', c));
    await handle(forgeEvent('forge.contract.completion_requested', c));
    await handle(forgeEvent('forge.contract.completion_requested', c));
    const [payee, ...others] = await em().find(Account, { ownerId: c.freelancerId });
    expect(others).toEqual([]);
    expect(payee!.balanceMinor).toBe(25_000n);
    await handle(forgeEvent('forge.contract.cancellation_requested', c));
    expect(await balance(payee!.id)).toBe(25_000n);
    expect(await balance(c.accountId)).toBe(25_000n);
    expect((await answers(c.contractId)).map((a) => [a.step ?? '', a.payeeAccountId ?? a.code ?? ''])).toEqual([
      ['', ''],
      ['', payee!.id],
      ['', payee!.id],
      ['refund', 'CONFLICT'],
    ]);
    expect(await em().count(Transfer, { kind: 'RELEASE', toAccountId: payee!.id })).toBe(1);
  });

  it('refunds the employer, and leaves events it has no part in, and unreadable ones, alone', async () => {
    const c = await parties('300.00');
    await handle(forgeEvent('forge.contract.created', c));
    await handle(forgeEvent('forge.contract.cancellation_requested', c));
    expect(await balance(c.accountId)).toBe(30_000n);
    expect((await contractEscrows(em(), [c.contractId]))[0]!.hold.status).toBe('REFUNDED');

    const holdsBefore = await em().count(Hold);
    expect(await handle(forgeEvent('forge.contract.activated', c))).toBe(true);
    expect(await handle({ ...forgeEvent('forge.contract.created', c), payload: { contractId: 42 } })).toBe(true);
    expect(await em().count(Hold)).toBe(holdsBefore);
    expect(await answers(c.contractId)).toHaveLength(2);
  });

  it('holds no more than the settings it was built with allow', async () => {
    const c = await parties('1000.00');
    // The same 250.00 request, to Mint started with AZORA_MINT_MAX_AMOUNT=100.
    await handle(forgeEvent('forge.contract.created', c), escrowConsumer({ AZORA_MINT_MAX_AMOUNT: 100 }));
    expect(await contractEscrows(em(), [c.contractId])).toEqual([]);
    expect(await balance(c.accountId)).toBe(100_000n);
    expect(await answers(c.contractId)).toEqual([expect.objectContaining({ step: 'place', code: 'BAD_USER_INPUT' })]);
  });

  it('lets nobody but the saga end a saga hold', async () => {
    const c = await parties('300.00');
    await handle(forgeEvent('forge.contract.created', c));
    const { hold } = (await contractEscrows(em(), [c.contractId]))[0]!;
    for (const caller of [person(c.employerId), treasury]) {
      await expect(ledger(caller).refundHold({ holdId: hold.id })).rejects.toMatchObject({
        extensions: { code: 'FORBIDDEN' },
      });
    }
    expect(await balance(c.accountId)).toBe(5_000n);
  });
});
