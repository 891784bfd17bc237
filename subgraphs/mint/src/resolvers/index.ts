import { DateTimeScalar, DecimalScalar, userRef } from '@azora/kit';
import type { MintContext } from '../context';
import { Currency } from '../entities/currency.entity';
import type { LedgerEntry } from '../entities/ledger-entry.entity';
import type { Resolvers } from '../generated/resolvers-types';
import { LedgerService } from '../ledger.service';
import { formatMinor } from '../money';
import { ledgerReport } from '../report.service';

const ledger = (ctx: MintContext) => new LedgerService(ctx.em, ctx.mintConfig);

/** Money as the API shows it: an exact decimal string in the currency's own precision. */
async function money(ctx: MintContext, minor: bigint, currency: string) {
  const found = await ctx.loaders.currencyByCode.load(currency);
  return { amount: formatMinor(minor, found?.minorDigits ?? 2), currency };
}

const abs = (value: bigint) => (value < 0n ? -value : value);

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: DateTimeScalar,
  Query: {
    account: (_p, { id }, { loaders }) => loaders.accountById.load(id),
    currencies: (_p, _a, { em }) => em.find(Currency, {}, { orderBy: { code: 'asc' } }),
    transfer: (_p, { id }, { loaders }) => loaders.transferById.load(id),
    ledgerEntry: (_p, { id }, { loaders }) => loaders.ledgerEntryById.load(id),
    hold: (_p, { id }, { loaders }) => loaders.holdById.load(id),
    ledgerReport: async (_p, { currency }, ctx) => ledgerReport(ctx.em, await ledger(ctx).currency(currency)),
  },
  Mutation: {
    openAccount: (_p, { input }, ctx) => ledger(ctx).openAccount(ctx.identity, input.currency),
    deposit: (_p, { input }, ctx) => ledger(ctx).deposit(ctx.identity, input),
    withdraw: (_p, { input }, ctx) => ledger(ctx).withdraw(ctx.identity, input),
    transfer: (_p, { input }, ctx) => ledger(ctx).transfer(ctx.identity, input),
    placeHold: (_p, { input }, ctx) => ledger(ctx).placeHold(ctx.identity, input),
    releaseHold: (_p, { input }, ctx) => ledger(ctx).releaseHold(ctx.identity, input),
    refundHold: (_p, { input }, ctx) => ledger(ctx).refundHold(ctx.identity, input),
  },
  Subscription: {
    accountActivity: {
      subscribe: (_p, { accountId }, ctx) => ledger(ctx).activity(ctx.identity, ctx.bus, accountId),
      resolve: (entry: LedgerEntry) => entry,
    },
  },
  Account: {
    __resolveReference: (reference, { loaders }) => loaders.accountById.load(reference.id),
    owner: (account) => (account.ownerId ? userRef(account.ownerId) : null),
    balance: (account, _a, ctx) => money(ctx, account.balanceMinor, account.currency),
    entries: (account, args, ctx) => ledger(ctx).entries(account.id, args),
  },
  Transfer: {
    amount: (transfer, _a, ctx) => money(ctx, transfer.amountMinor, transfer.currency),
  },
  LedgerEntry: {
    account: (entry, _a, { loaders }) => loaders.accountById.load(entry.accountId).then((a) => a!),
    transfer: (entry, _a, { loaders }) => loaders.transferById.load(entry.transferId).then((t) => t!),
    direction: (entry) => (entry.amountMinor < 0n ? 'DEBIT' : 'CREDIT'),
    amount: (entry, _a, ctx) => money(ctx, abs(entry.amountMinor), entry.currency),
    balanceAfter: (entry, _a, ctx) => money(ctx, entry.balanceAfterMinor, entry.currency),
  },
  Hold: {
    account: (hold, _a, { loaders }) => loaders.accountById.load(hold.accountId).then((a) => a!),
    amount: (hold, _a, ctx) => money(ctx, hold.amountMinor, hold.currency),
  },
  LedgerReport: {
    total: (report, _a, ctx) => money(ctx, report.totalMinor, report.currency.code),
    outsideWorld: (report, _a, ctx) => money(ctx, report.outsideWorldMinor, report.currency.code),
    escrow: (report, _a, ctx) => money(ctx, report.escrowMinor, report.currency.code),
  },
  Contract: {
    // Mint keeps no contract rows: the representation (the key and the parties Forge supplied) is the contract.
    __resolveReference: (reference) => reference,
    escrow: async (contract, _a, { loaders }) => (await loaders.escrowByContract.load(contract.id))?.hold ?? null,
  },
  Escrow: {
    amount: (hold, _a, ctx) => money(ctx, hold.amountMinor, hold.currency),
    placedAt: (hold) => hold.createdAt,
  },
  User: {
    // Mint keeps no user rows: the reference itself is all it needs.
    __resolveReference: (reference) => ({ id: reference.id }),
    accounts: (user, _args, { loaders }) => loaders.accountsByOwner.load(user.id),
  },
};
