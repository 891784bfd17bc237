import { byReference, DateTimeScalar, JSONScalar } from '@azora/kit';
import type { LoggedEvent } from '../entities/logged-event.entity';
import type { Resolvers } from '../generated/resolvers-types';
import type { Context } from '../schema';

/** Every resolver hands its work to the event log service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  Query: {
    events: (_p, args, ctx) => ctx.services.eventLog.page(args),
    event: (_p, { id }, ctx) => ctx.services.eventLog.byId(id),
  },
  Subscription: {
    events: {
      subscribe: (_p, { topics, after }, ctx) => ctx.services.eventLog.follow(topics, after),
      // The router reads the rest of each event by id through `Query.event`.
      resolve: (event: { id: string }) => event as LoggedEvent,
    },
  },
  Event: {
    __resolveReference: byReference((loaders: Context['loaders']) => loaders.eventById),
    cursor: (event, _a, ctx) => ctx.services.eventLog.cursorOf(event),
  },
};
