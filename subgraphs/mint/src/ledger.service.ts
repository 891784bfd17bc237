import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  badInput,
  conflict,
  ErrorCode,
  eventStream,
  forbidden,
  forUpdate,
  hasRole,
  newId,
  notFound,
  pageRequest,
  personId,
  readEvent,
  toConnection,
  transaction,
  type ConnectionArgs,
  type SqlEntityManager,
} from '@azora/kit';
import { Account, escrowAccountId, systemAccountId, type AccountKind } from './entities/account.entity';
import { Hold } from './entities/hold.entity';
import { LedgerEntry } from './entities/ledger-entry.entity';
import { Transfer, type TransferKind } from './entities/transfer.entity';
import { hasCode, idempotencyConflict, insufficientFunds, MintCode } from './errors';
import { mintEvents } from './events';
import { formatMinor, parseAmount } from './money';
import type { Context } from './schema';

const KEY = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Failures after which the whole posting can run again besides the kit's (serialization failure, deadlock, busy):
 * a connection lost or an administrator's shutdown mid-transaction. Safe because a posting is idempotent by key.
 */
const LOST_CONNECTION = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE']);
function isLostConnection(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string }; message?: string };
  return (
    LOST_CONNECTION.has(e.code ?? '') ||
    LOST_CONNECTION.has(e.cause?.code ?? '') ||
    /Connection terminated|connection.*(closed|ended)/i.test(e.message ?? '')
  );
}

/** How many times a posting runs at most (transient failures and lost races on the idempotency key). */
const POSTING_ATTEMPTS = 4;

interface Posting {
  kind: TransferKind;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
  currency: string;
  memo: string | null;
  initiatorId: string;
  idempotencyKey: string;
  requestDigest: string;
}

/** Steps that belong in the same transaction as a posting: `before` runs under the account locks, before the funds check. */
interface PostingHooks {
  before?: (em: SqlEntityManager, transferId: string) => Promise<void>;
  after?: (em: SqlEntityManager, transfer: Transfer) => Promise<void>;
}

export interface MoneyInput {
  amount: string;
  idempotencyKey: string;
  memo?: string | null;
}

/**
 * The ledger: every movement is one transfer with two immutable entries that sum to zero, applied under row locks
 * taken in a stable order, exactly once per idempotency key. Money enters and leaves only through a currency's SYSTEM
 * account, so the balances of a currency always sum to zero. The caller is the context's identity (a person through
 * the API, Forge's saga in Mint's consumer). Who may call deposit and withdraw at all (treasury, admins) is the
 * router's, from the SDL; here only what depends on the account: its owner moves money out of it.
 */
export class LedgerService {
  constructor(private readonly ctx: Context) {}

  /**
   * A fresh identity map in the caller's transaction, if it has one: a saga step (an event consumer) runs the ledger
   * inside its own transaction, so the money and the step's record commit together.
   */
  private fresh(): SqlEntityManager {
    return this.ctx.em.fork({ keepTransactionContext: true });
  }

  private maxMinor(minorDigits: number): bigint {
    return BigInt(this.ctx.config.AZORA_MINT_MAX_AMOUNT) * 10n ** BigInt(minorDigits);
  }

  /** The account by id; the shield shows it to its owner, treasury and admins only. */
  account(id: string): Promise<Account | null> {
    return this.ctx.loaders.accountById.load(id);
  }

  /** A person's USER accounts (the shield shows them to that person, treasury and admins). */
  accountsOf(ownerId: string): Promise<Account[]> {
    return this.ctx.loaders.accountsByOwner.load(ownerId);
  }

  /** The account a ledger entry or hold belongs to; it always exists, so a missing one is a bug. */
  async accountOf(record: { accountId: string }): Promise<Account> {
    const account = await this.ctx.loaders.accountById.load(record.accountId);
    if (!account) throw new Error(`account ${record.accountId} is missing`);
    return account;
  }

  transferById(id: string): Promise<Transfer | null> {
    return this.ctx.loaders.transferById.load(id);
  }

  /** The transfer a ledger entry is half of; it always exists, so a missing one is a bug. */
  async transferOf(entry: LedgerEntry): Promise<Transfer> {
    const transfer = await this.ctx.loaders.transferById.load(entry.transferId);
    if (!transfer) throw new Error(`transfer ${entry.transferId} is missing`);
    return transfer;
  }

  ledgerEntry(id: string): Promise<LedgerEntry | null> {
    return this.ctx.loaders.ledgerEntryById.load(id);
  }

  hold(id: string): Promise<Hold | null> {
    return this.ctx.loaders.holdById.load(id);
  }

  /** An entry takes money out of its account (DEBIT) or puts money in (CREDIT). */
  direction(entry: LedgerEntry): 'DEBIT' | 'CREDIT' {
    return entry.amountMinor < 0n ? 'DEBIT' : 'CREDIT';
  }

  /** Opens a USER account for the caller; the currency's SYSTEM and ESCROW accounts are made on first use. */
  async openAccount(currencyCode: string): Promise<Account> {
    return this.openAccountFor(personId(this.ctx.identity, 'Only a person can own an account'), currencyCode);
  }

  private async openAccountFor(ownerId: string, currencyCode: string): Promise<Account> {
    const currency = await this.ctx.services.money.currency(currencyCode);
    await this.ensureSystemAccounts(currency.code);
    const account = this.ctx.em.create(Account, { kind: 'USER', ownerId, currency: currency.code });
    await this.ctx.em.flush();
    return account;
  }

  /** The person's oldest account in the currency, if they have one. */
  userAccountOf(ownerId: string, currency: string): Promise<Account | null> {
    return this.ctx.em.findOne(Account, { ownerId, currency, kind: 'USER' }, { orderBy: { id: 'asc' } });
  }

  /** The person's oldest account in the currency, opened for them if they have none (to pay them). */
  async payeeAccountOf(ownerId: string, currency: string): Promise<Account> {
    return (await this.userAccountOf(ownerId, currency)) ?? this.openAccountFor(ownerId, currency);
  }

  /** Makes the currency's SYSTEM and ESCROW accounts when missing (safe under concurrency). */
  async ensureSystemAccounts(currency: string): Promise<void> {
    for (const [id, kind] of [
      [systemAccountId(currency), 'SYSTEM'],
      [escrowAccountId(currency), 'ESCROW'],
    ] as [string, AccountKind][]) {
      if (await this.fresh().findOne(Account, { id })) continue;
      await this.ctx.em.fork().upsert(
        Account,
        { id, kind, ownerId: null, currency, balanceMinor: 0n, version: 0, status: 'ACTIVE', createdAt: new Date() },
        {
          onConflictAction: 'ignore',
        },
      );
    }
  }

  /** The account, if the caller may see it: its owner, treasury or admin. */
  async readableAccount(id: string): Promise<Account> {
    const caller = this.ctx.identity;
    const account = await this.ctx.em.findOne(Account, { id });
    if (!account) throw notFound('Account', id);
    if (account.ownerId !== caller.userId && !hasRole(caller, 'treasury', 'admin')) throw forbidden();
    return account;
  }

  /** Money in from the outside world (treasury's, by the router's rule). */
  async deposit(input: MoneyInput & { accountId: string }): Promise<Transfer> {
    const account = await this.userAccount(input.accountId);
    return this.post('DEPOSIT', systemAccountId(account.currency), account.id, account.currency, input);
  }

  /** Money out to the outside world (treasury's, by the router's rule). */
  async withdraw(input: MoneyInput & { accountId: string }): Promise<Transfer> {
    const account = await this.userAccount(input.accountId);
    return this.post('WITHDRAWAL', account.id, systemAccountId(account.currency), account.currency, input);
  }

  /** Between two USER accounts of one currency; the caller must own the source. */
  async transfer(input: MoneyInput & { fromAccountId: string; toAccountId: string }): Promise<Transfer> {
    if (input.fromAccountId === input.toAccountId)
      throw badInput('An account cannot transfer to itself', 'toAccountId');
    const from = await this.userAccount(input.fromAccountId);
    if (from.ownerId !== this.ctx.identity.userId) throw forbidden('Only the owner can move money out of an account');
    const to = await this.userAccount(input.toAccountId, 'toAccountId');
    if (to.currency !== from.currency)
      throw badInput(`Currencies differ (${from.currency} → ${to.currency})`, 'toAccountId');
    return this.post('TRANSFER', from.id, to.id, from.currency, input);
  }

  private async userAccount(id: string, field = 'accountId'): Promise<Account> {
    const account = await this.ctx.em.findOne(Account, { id });
    if (!account || account.kind !== 'USER')
      throw notFound(field === 'accountId' ? 'Account' : 'Destination account', id);
    return account;
  }

  /** Validates, then applies exactly once per (initiator, key), retrying transient database failures. */
  private async post(
    kind: TransferKind,
    fromAccountId: string,
    toAccountId: string,
    currencyCode: string,
    input: MoneyInput,
    hooks: PostingHooks = {},
  ): Promise<Transfer> {
    const initiatorId = this.ctx.identity.userId;
    if (!initiatorId) throw forbidden('Moving money needs a known caller');
    if (!KEY.test(input.idempotencyKey))
      throw badInput('idempotencyKey has 1 to 100 letters, digits or ._:-', 'idempotencyKey');
    const memo = input.memo?.trim() || null;
    if (memo && memo.length > 200) throw badInput('A memo has at most 200 characters', 'memo');
    const currency = await this.ctx.services.money.currency(currencyCode);
    const amountMinor = parseAmount(input.amount, currency, this.maxMinor(currency.minorDigits));
    await this.ensureSystemAccounts(currency.code);
    const posting: Posting = {
      kind,
      fromAccountId,
      toAccountId,
      amountMinor,
      currency: currency.code,
      memo,
      initiatorId,
      idempotencyKey: input.idempotencyKey,
      requestDigest: createHash('sha256')
        .update(JSON.stringify([kind, fromAccountId, toAccountId, amountMinor.toString(), currency.code, memo]))
        .digest('hex'),
    };
    return this.once(posting, (em) => this.apply(em, posting, hooks));
  }

  /**
   * Runs `work` in a transaction unless the key was already used: a replay gets the original transfer, a different
   * request with the same key IDEMPOTENCY_CONFLICT. Concurrent duplicates meet at the unique key; the loser's next
   * attempt finds the winner. Each attempt checks the key afresh, so a retry after a lost connection whose commit did
   * land returns that transfer instead of posting again.
   *
   * Inside a saga step's transaction the posting is a savepoint of it: a refused posting (insufficient funds, a hold
   * already ended) leaves nothing behind, and the step still commits its answer.
   */
  private async once(posting: Posting, work: (em: SqlEntityManager) => Promise<Transfer>): Promise<Transfer> {
    const existing = async (em = this.fresh()) => {
      const found = await em.findOne(Transfer, {
        initiatorId: posting.initiatorId,
        idempotencyKey: posting.idempotencyKey,
      });
      if (found && found.requestDigest !== posting.requestDigest) throw idempotencyConflict();
      return found;
    };
    const attempt = (em: SqlEntityManager) =>
      transaction(em, async (tx) => (await existing(tx)) ?? work(tx), {
        attempts: POSTING_ATTEMPTS,
        alsoRetry: (error) => isLostConnection(error) || error instanceof UniqueConstraintViolationException,
      });
    try {
      const em = this.fresh();
      return await (em.isInTransaction() ? em.transactional((savepoint) => attempt(savepoint)) : attempt(em));
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        const winner = await existing();
        if (winner) return winner;
      }
      throw error;
    }
  }

  /** Inside the transaction: lock both accounts in id order, check, write the transfer, two entries and the event. */
  private async apply(em: SqlEntityManager, posting: Posting, hooks: PostingHooks): Promise<Transfer> {
    // The id is needed by the entries and hooks before the flush (onCreate would only set it at flush time).
    const transferId = newId();
    const accounts = new Map<string, Account>();
    for (const id of [posting.fromAccountId, posting.toAccountId].sort()) {
      const account = await em.findOne(Account, { id }, forUpdate(em));
      if (!account) throw notFound('Account', id);
      if (account.currency !== posting.currency) throw badInput('Currencies differ', 'currency');
      if (account.status !== 'ACTIVE') throw conflict(`Account ${id} is frozen`);
      accounts.set(id, account);
    }
    const from = accounts.get(posting.fromAccountId)!;
    const to = accounts.get(posting.toAccountId)!;
    await hooks.before?.(em, transferId);
    if (from.kind !== 'SYSTEM' && from.balanceMinor < posting.amountMinor) throw insufficientFunds();

    const transfer = em.create(Transfer, { id: transferId, ...posting });
    from.balanceMinor -= posting.amountMinor;
    to.balanceMinor += posting.amountMinor;
    from.version += 1;
    to.version += 1;
    const entries = [
      { account: from, amountMinor: -posting.amountMinor },
      { account: to, amountMinor: posting.amountMinor },
    ].map(({ account, amountMinor }) =>
      em.create(LedgerEntry, {
        transferId: transfer.id,
        accountId: account.id,
        currency: posting.currency,
        amountMinor,
        balanceAfterMinor: account.balanceMinor,
        accountVersion: account.version,
      }),
    );
    await em.flush(); // ids for the event; the transaction commits everything together
    await hooks.after?.(em, transfer);
    this.ctx.events.record('mint.transfer.completed', {
      transferId: transfer.id,
      kind: transfer.kind,
      currency: transfer.currency,
      amountMinor: transfer.amountMinor.toString(),
      entries: entries.map((e) => ({
        id: e.id,
        accountId: e.accountId,
        ownerId: accounts.get(e.accountId)!.ownerId ?? null,
      })),
    });
    // Written here, not by the transaction's end: inside a saga step's transaction nothing else flushes this fork.
    await em.flush();
    return transfer;
  }

  /** Newest first. */
  async entries(account: Account, args: ConnectionArgs) {
    const { limit, afterKey } = pageRequest(args);
    const rows = await this.ctx.em.find(
      LedgerEntry,
      { accountId: account.id, ...(afterKey ? { id: { $lt: afterKey } } : {}) },
      { orderBy: { id: 'desc' }, limit: limit + 1 },
    );
    return toConnection(rows, limit, (entry) => entry.id);
  }

  /**
   * The account's new ledger entries as they are committed: only for its owner, treasury and admins. Read from the
   * transfer events (published after commit), each entry loaded afresh.
   */
  async activity(accountId: string): Promise<AsyncIterableIterator<LedgerEntry>> {
    await this.readableAccount(accountId);
    return eventStream(this.ctx.bus, ['mint.transfer'], async (event) => {
      const transfer = readEvent(mintEvents, 'mint.transfer.completed', event, this.ctx.log);
      const mine = transfer?.entries.find((entry) => entry.accountId === accountId);
      return mine ? ((await this.ctx.em.fork().findOne(LedgerEntry, { id: mine.id })) ?? undefined) : undefined;
    });
  }

  // ---- escrow holds -------------------------------------------------------------------------------------------

  /** Moves money from the payer's account into escrow. Idempotent by key. */
  async placeHold(input: MoneyInput & { accountId: string; reference?: string | null }): Promise<Hold> {
    const caller = this.ctx.identity;
    const account = await this.userAccount(input.accountId);
    if (account.ownerId !== caller.userId && caller.kind !== 'service') {
      throw forbidden('Only the owner can place a hold on an account');
    }
    const reference = input.reference?.trim() || null;
    const transfer = await this.post('HOLD', account.id, escrowAccountId(account.currency), account.currency, input, {
      after: async (em, t) => {
        em.create(Hold, {
          accountId: account.id,
          amountMinor: t.amountMinor,
          currency: t.currency,
          reference,
          placeTransferId: t.id,
        });
      },
    });
    return this.fresh().findOneOrFail(Hold, { placeTransferId: transfer.id });
  }

  /** Pays the held money to `payeeAccountId`. Ends the hold exactly once; repeating the same release is harmless. */
  releaseHold(input: { holdId: string; payeeAccountId: string }): Promise<Hold> {
    return this.endHold(input.holdId, 'RELEASED', input.payeeAccountId);
  }

  /** Returns the held money to the payer. Ends the hold exactly once; repeating the refund is harmless. */
  refundHold(input: { holdId: string }): Promise<Hold> {
    return this.endHold(input.holdId, 'REFUNDED');
  }

  private async endHold(holdId: string, outcome: 'RELEASED' | 'REFUNDED', payeeAccountId?: string): Promise<Hold> {
    const caller = this.ctx.identity;
    const hold = await this.fresh().findOne(Hold, { id: holdId });
    if (!hold) throw notFound('Hold', holdId);
    const payer = await this.fresh().findOneOrFail(Account, { id: hold.accountId });
    if (payer.ownerId !== caller.userId && !hasRole(caller, 'treasury', 'admin') && caller.kind !== 'service') {
      throw forbidden('Only the payer, treasury or an admin can end a hold');
    }
    // A hold a saga placed (e.g. a contract's escrow) ends only through that saga: the payer must not take it back.
    const placement = await this.fresh().findOneOrFail(Transfer, { id: hold.placeTransferId });
    if (placement.initiatorId.startsWith('system:') && caller.kind !== 'service') {
      throw forbidden('This hold secures an agreement; it ends with that agreement');
    }
    const target =
      outcome === 'RELEASED' ? (await this.userAccount(payeeAccountId!, 'payeeAccountId')).id : hold.accountId;
    if (hold.status === 'ACTIVE') {
      const currency = await this.ctx.services.money.currency(hold.currency);
      try {
        await this.post(
          outcome === 'RELEASED' ? 'RELEASE' : 'REFUND',
          escrowAccountId(hold.currency),
          target,
          hold.currency,
          // One ending per hold and initiator; across initiators the conditional update below decides.
          { amount: formatMinor(hold.amountMinor, currency.minorDigits), idempotencyKey: `hold-end:${hold.id}` },
          {
            // Claimed first, under the escrow account's lock: of two endings, the second finds it ended.
            before: async (em, transferId) => {
              const claimed = await em.nativeUpdate(
                Hold,
                { id: hold.id, status: 'ACTIVE' },
                {
                  status: outcome,
                  payeeAccountId: outcome === 'RELEASED' ? target : null,
                  endedAt: new Date(),
                  endTransferId: transferId,
                },
              );
              if (claimed === 0) throw conflict('This hold has already ended');
            },
          },
        );
      } catch (error) {
        if (!hasCode(error, ErrorCode.CONFLICT, MintCode.IDEMPOTENCY_CONFLICT)) throw error;
      }
    }
    // Whoever ended it, report what really happened: the same outcome again is fine, the other one is a conflict.
    const ended = await this.fresh().findOneOrFail(Hold, { id: hold.id });
    if (ended.status === outcome && (outcome === 'REFUNDED' || ended.payeeAccountId === target)) return ended;
    throw conflict(`This hold was already ${ended.status.toLowerCase()}`);
  }
}
