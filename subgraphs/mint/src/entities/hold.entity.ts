import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

export const HOLD_STATUSES = ['ACTIVE', 'RELEASED', 'REFUNDED'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/**
 * Escrow: money moved from the payer's account into the currency's ESCROW account, not spendable, until it is
 * released to a payee or refunded — exactly once, by a conditional status change.
 */
export const Hold = defineEntity({
  name: 'Hold',
  tableName: 'holds',
  properties: {
    id: idProperty(),
    accountId: p.string().length(36).index(),
    amountMinor: p.bigint(),
    currency: p.string().length(3),
    status: p.string().length(10).$type<HoldStatus>().default('ACTIVE'),
    /** What the hold secures, e.g. `forge:contract:<id>`. */
    reference: p.string().length(120).nullable().index(),
    placeTransferId: p.string().length(36).unique(),
    payeeAccountId: p.string().length(36).nullable(),
    endTransferId: p.string().length(36).nullable(),
    endedAt: p.datetime().nullable(),
    createdAt: createdAtProperty(),
  },
});
export type Hold = InferEntity<typeof Hold>;
