import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Failed sign-ins per key (`account:<email>` or `ip:<address>`) in the current window; shared by all replicas. */
export const SignInThrottle = defineEntity({
  name: 'SignInThrottle',
  tableName: 'sign_in_throttles',
  properties: {
    key: p.string().length(400).primary(),
    failures: p.integer(),
    windowStartedAt: p.datetime(),
  },
});
export type SignInThrottle = InferEntity<typeof SignInThrottle>;
