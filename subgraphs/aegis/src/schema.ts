import { join } from 'node:path';
import { buildSchema, defineSubgraph, loadTypeDefs } from '@azora/kit';
import { seedDemoData } from './demo-data';
import { User } from './entities/user.entity';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';

/** Azora Aegis: people, roles and credentials. */
export const aegis = defineSubgraph({
  name: 'aegis',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  resolvers,
  entities: [User],
  loaders: createLoaders,
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
});

export const schema = buildSchema(aegis);
