import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

export const Account = defineEntity({
  name: 'Account',
  tableName: 'accounts',
  properties: {
    id: idProperty(),
    /** The owning user's id (an Aegis `User` key; Mint never reads Aegis tables). */
    ownerId: p.string().length(36).index(),
    currency: p.string().length(3),
    /** Balance in integer minor units of `currency` (cents for USD). */
    balanceMinor: p.bigint().default(0n as never),
    createdAt: createdAtProperty(),
  },
});
export type Account = InferEntity<typeof Account>;
