import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One domain event, stored once (its id is the emitter's), ordered by id for replay. */
export const LoggedEvent = defineEntity({
  name: 'LoggedEvent',
  tableName: 'events',
  indexes: [{ properties: ['topic', 'id'] }],
  properties: {
    id: p.string().length(36).primary(),
    topic: p.string().length(120),
    type: p.string().length(120),
    source: p.string().length(60),
    payload: p.json<Record<string, unknown>>(),
    occurredAt: p.datetime(),
    loggedAt: p.datetime(),
  },
});
export type LoggedEvent = InferEntity<typeof LoggedEvent>;
