import { DateTimeScalar, JSONScalar } from '@azora/kit';
import type { NexusContext } from '../context';
import type { LoggedEvent } from '../entities/logged-event.entity';
import { cursorOf, EventLogService } from '../event-log.service';
import type { Resolvers } from '../generated/resolvers-types';

const log = (ctx: NexusContext) => new EventLogService(ctx.em);

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  JSON: JSONScalar,
  Query: {
    events: (_p, args, ctx) => log(ctx).page(args),
    event: (_p, { id }, { loaders }) => loaders.eventById.load(id),
  },
  Subscription: {
    events: {
      subscribe: (_p, { topics, after }, ctx) => log(ctx).follow(ctx.bus, topics, after),
      // The router reads the rest of each event by id through `Query.event`.
      resolve: (event: { id: string }) => event as LoggedEvent,
    },
  },
  Event: {
    __resolveReference: (reference, { loaders }) => loaders.eventById.load(reference.id),
    cursor: (event) => cursorOf(event),
  },
};
