import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

export const ACCOUNT_KINDS = ['USER', 'SYSTEM', 'ESCROW'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/**
 * A money account. USER accounts belong to a person and never go below zero; each currency has one SYSTEM account
 * (the outside world: deposits come from it, withdrawals go to it, so it may be negative) and one ESCROW account that
 * holds placed holds. Every change is a ledger entry; `version` counts them, so gaps are detectable.
 */
export const Account = defineEntity({
  name: 'Account',
  tableName: 'accounts',
  properties: {
    id: idProperty(),
    kind: p.string().length(8).$type<AccountKind>().default('USER'),
    /** The owning user's id (an Aegis `User` key; Mint never reads Aegis tables). Null for SYSTEM and ESCROW. */
    ownerId: p.string().length(36).nullable().index(),
    currency: p.string().length(3),
    /** Balance in integer minor units of `currency` (cents for USD). */
    balanceMinor: p.bigint().default(0n as never),
    version: p.integer().default(0),
    status: p.string().length(8).$type<'ACTIVE' | 'FROZEN'>().default('ACTIVE'),
    createdAt: createdAtProperty(),
  },
});
export type Account = InferEntity<typeof Account>;

/** The well-known ids of a currency's SYSTEM and ESCROW accounts. */
export const systemAccountId = (currency: string) => `system:${currency}`;
export const escrowAccountId = (currency: string) => `escrow:${currency}`;
