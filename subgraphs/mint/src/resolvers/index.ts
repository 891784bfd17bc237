import { byReference, DateTimeScalar, DecimalScalar, userRef } from '@azora/kit';
import type { LedgerEntry } from '../entities/ledger-entry.entity';
import type { Resolvers } from '../generated/resolvers-types';
import type { Context } from '../schema';

type Loaders = Context['loaders'];

/** Every resolver hands its work to a service: the rules, and how money is shown, live there. */
export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: DateTimeScalar,
  Query: {
    account: (_p, { id }, ctx) => ctx.services.ledger.account(id),
    currencies: (_p, _a, ctx) => ctx.services.money.currencies(),
    transfer: (_p, { id }, ctx) => ctx.services.ledger.transferById(id),
    ledgerEntry: (_p, { id }, ctx) => ctx.services.ledger.ledgerEntry(id),
    hold: (_p, { id }, ctx) => ctx.services.ledger.hold(id),
    ledgerReport: (_p, { currency }, ctx) => ctx.services.reports.ledgerReport(currency),
  },
  Mutation: {
    openAccount: (_p, { input }, ctx) => ctx.services.ledger.openAccount(input.currency),
    deposit: (_p, { input }, ctx) => ctx.services.ledger.deposit(input),
    withdraw: (_p, { input }, ctx) => ctx.services.ledger.withdraw(input),
    transfer: (_p, { input }, ctx) => ctx.services.ledger.transfer(input),
    placeHold: (_p, { input }, ctx) => ctx.services.ledger.placeHold(input),
    releaseHold: (_p, { input }, ctx) => ctx.services.ledger.releaseHold(input),
    refundHold: (_p, { input }, ctx) => ctx.services.ledger.refundHold(input),
  },
  Subscription: {
    accountActivity: {
      subscribe: (_p, { accountId }, ctx) => ctx.services.ledger.activity(accountId),
      resolve: (entry: LedgerEntry) => entry,
    },
  },
  Account: {
    __resolveReference: byReference((loaders: Loaders) => loaders.accountById),
    owner: (account) => (account.ownerId ? userRef(account.ownerId) : null),
    balance: (account, _a, ctx) => ctx.services.money.of(account.balanceMinor, account.currency),
    entries: (account, args, ctx) => ctx.services.ledger.entries(account, args),
  },
  Transfer: {
    amount: (transfer, _a, ctx) => ctx.services.money.of(transfer.amountMinor, transfer.currency),
  },
  LedgerEntry: {
    account: (entry, _a, ctx) => ctx.services.ledger.accountOf(entry),
    transfer: (entry, _a, ctx) => ctx.services.ledger.transferOf(entry),
    direction: (entry, _a, ctx) => ctx.services.ledger.direction(entry),
    amount: (entry, _a, ctx) => ctx.services.money.entryAmount(entry),
    balanceAfter: (entry, _a, ctx) => ctx.services.money.of(entry.balanceAfterMinor, entry.currency),
  },
  Hold: {
    account: (hold, _a, ctx) => ctx.services.ledger.accountOf(hold),
    amount: (hold, _a, ctx) => ctx.services.money.of(hold.amountMinor, hold.currency),
  },
  LedgerReport: {
    total: (report, _a, ctx) => ctx.services.money.of(report.totalMinor, report.currency.code),
    outsideWorld: (report, _a, ctx) => ctx.services.money.of(report.outsideWorldMinor, report.currency.code),
    escrow: (report, _a, ctx) => ctx.services.money.of(report.escrowMinor, report.currency.code),
  },
  Contract: {
    // Mint keeps no contract rows: the representation (the key and the parties Forge supplied) is the contract.
    __resolveReference: (reference) => reference,
    escrow: (contract, _a, ctx) => ctx.services.escrow.escrowOf(contract),
  },
  Escrow: {
    amount: (hold, _a, ctx) => ctx.services.money.of(hold.amountMinor, hold.currency),
    placedAt: (hold) => hold.createdAt,
  },
  User: {
    // Mint keeps no user rows: the reference itself is all it needs.
    __resolveReference: (reference) => ({ id: reference.id }),
    accounts: (user, _args, ctx) => ctx.services.ledger.accountsOf(user.id),
  },
};
