import { join } from 'node:path';
import { buildSchema, defineSubgraph, loadTypeDefs } from '@azora/kit';
import { LoggedEvent } from './entities/logged-event.entity';
import { logEvent } from './event-log.service';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';
export type { NexusContext as Context } from './context';

/** Azora Nexus: the durable log of every domain event. Reading it is for admins and operators (router rule tree). */
export const nexus = defineSubgraph({
  name: 'nexus',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  resolvers,
  entities: [LoggedEvent],
  loaders: createLoaders,
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

export const schema = buildSchema(nexus);
