import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

export const TRANSFER_KINDS = ['DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'HOLD', 'RELEASE', 'REFUND'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

/**
 * One movement of money: exactly two ledger entries, a debit and a credit of equal amount. Unique per initiator and
 * idempotency key, with a digest of the request so a replay can be told from a conflicting reuse of the key.
 */
export const Transfer = defineEntity({
  name: 'Transfer',
  tableName: 'transfers',
  uniques: [{ properties: ['initiatorId', 'idempotencyKey'] }],
  properties: {
    id: idProperty(),
    kind: p.string().length(12).$type<TransferKind>(),
    fromAccountId: p.string().length(36),
    toAccountId: p.string().length(36),
    amountMinor: p.bigint(),
    currency: p.string().length(3),
    memo: p.string().length(200).nullable(),
    /** Who asked for it: a user id, or `system:<subgraph>` for a saga step. */
    initiatorId: p.string().length(60),
    idempotencyKey: p.string().length(100),
    requestDigest: p.string().length(64),
    createdAt: createdAtProperty(),
  },
});
export type Transfer = InferEntity<typeof Transfer>;
