import { join } from 'node:path';
import { defineSubgraph, loadTypeDefs, problemsOf } from '@azora/kit';
import { loadMintConfig } from './config';
import { seedDemoData } from './demo-data';
import { Account } from './entities/account.entity';
import { Currency } from './entities/currency.entity';
import { Hold } from './entities/hold.entity';
import { LedgerEntry } from './entities/ledger-entry.entity';
import { Transfer } from './entities/transfer.entity';
import { createLoaders } from './loaders';
import { DEFAULT_CURRENCIES } from './money';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
import { contractEscrowConsumer } from './saga.consumer';
export type { MintContext as Context } from './context';

/** Azora Mint: accounts, the double-entry ledger and escrow holds. */
export const mint = defineSubgraph({
  name: 'mint',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  resolvers,
  permissions,
  entities: [Currency, Account, Transfer, LedgerEntry, Hold],
  loaders: createLoaders,
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
  checkEnv: (env) => problemsOf(() => loadMintConfig(env)),
  async setup({ orm, env }) {
    const mintConfig = loadMintConfig(env);
    // The currency table is the source of truth; these are only the ones a new database starts with.
    await orm.em.fork().upsertMany(
      Currency,
      DEFAULT_CURRENCIES.map((c) => ({ ...c })),
      { onConflictAction: 'ignore' },
    );
    return { context: () => ({ mintConfig }), consumers: [contractEscrowConsumer(mintConfig)] };
  },
});
