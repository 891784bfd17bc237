import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

/**
 * One side of a transfer on one account. Immutable. `amountMinor` is signed (negative debits the account),
 * `balanceAfter` is the account's balance once applied, and `accountVersion` numbers the account's entries 1, 2, 3…
 * — unique per account, so two writers can never both apply on the same version.
 */
export const LedgerEntry = defineEntity({
  name: 'LedgerEntry',
  tableName: 'ledger_entries',
  uniques: [{ properties: ['accountId', 'accountVersion'] }],
  properties: {
    id: idProperty(),
    transferId: p.string().length(36).index(),
    accountId: p.string().length(36),
    currency: p.string().length(3),
    amountMinor: p.bigint(),
    balanceAfterMinor: p.bigint(),
    accountVersion: p.integer(),
    createdAt: createdAtProperty(),
  },
});
export type LedgerEntry = InferEntity<typeof LedgerEntry>;
