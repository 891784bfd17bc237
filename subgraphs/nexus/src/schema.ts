import { join } from 'node:path';
import { defineSubgraph, loadTypeDefs, subgraphContext, type ContextOf } from '@azora/kit';
import { LoggedEvent } from './entities/logged-event.entity';
import { EventLogService, logEvent } from './event-log.service';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';
/** What a Nexus request's context is made of. Nexus records no events of its own: it keeps everyone else's. */
const context = subgraphContext({
  loaders: createLoaders,
  services: { eventLog: EventLogService },
});

/** What every Nexus resolver and service receives (codegen's `contextType`). */
export type Context = ContextOf<typeof context>;

/** Azora Nexus: the durable log of every domain event. Reading it is for admins and operators (its SDL's access directives). */
export const nexus = defineSubgraph({
  name: 'nexus',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  context,
  resolvers,
  entities: [LoggedEvent],
  migrationsDir: join(__dirname, 'migrations'),
  consumers: [
    {
      // Every topic, once per event: the log itself.
      name: 'nexus.log',
      topics: [],
      handle: (em, event) => logEvent(em, event),
    },
  ],
});
