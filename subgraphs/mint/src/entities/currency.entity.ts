import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A supported currency and how many minor digits it has (USD 2, JPY 0). */
export const Currency = defineEntity({
  name: 'Currency',
  tableName: 'currencies',
  properties: {
    code: p.string().length(3).primary(),
    name: p.string().length(60),
    minorDigits: p.integer(),
  },
});
export type Currency = InferEntity<typeof Currency>;
