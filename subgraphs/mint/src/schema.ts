import { join } from 'node:path';
import { buildSchema, defineSubgraph, loadTypeDefs } from '@azora/kit';
import { seedDemoData } from './demo-data';
import { Account } from './entities/account.entity';
import { createLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

/** Azora Mint: accounts and the ledger. */
export const mint = defineSubgraph({
  name: 'mint',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  resolvers,
  permissions,
  entities: [Account],
  loaders: createLoaders,
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
});

export const schema = buildSchema(mint);
