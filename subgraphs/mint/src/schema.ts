import { join } from 'node:path';
import {
  defineSubgraph,
  loadTypeDefs,
  requestContext,
  subgraphConfig,
  subgraphContext,
  type ContextOf,
  type EventBus,
  type SubgraphDefinition,
} from '@azora/kit';
import { loadMintConfig, type MintConfig } from './config';
import { seedDemoData } from './demo-data';
import { Account } from './entities/account.entity';
import { Currency } from './entities/currency.entity';
import { Hold } from './entities/hold.entity';
import { LedgerEntry } from './entities/ledger-entry.entity';
import { Transfer } from './entities/transfer.entity';
import { FORGE_SAGA } from './escrow';
import { EscrowService } from './escrow.service';
import { mintErrors } from './errors';
import { mintEvents } from './events';
import { LedgerService } from './ledger.service';
import { createLoaders } from './loaders';
import { DEFAULT_CURRENCIES } from './money';
import { MoneyService } from './money.service';
import { permissions } from './permissions';
import { ReportService } from './report.service';
import { resolvers } from './resolvers';
import { contractEscrowConsumer } from './saga.consumer';
export { mintEvents } from './events';

/** What a Mint request's context is made of: its loaders, the events it records, its services and its settings. */
const context = subgraphContext({
  loaders: createLoaders,
  events: mintEvents,
  services: { ledger: LedgerService, money: MoneyService, escrow: EscrowService, reports: ReportService },
  config: loadMintConfig,
});

/** What every Mint resolver, rule and service receives (codegen's `contextType`). */
export type Context = ContextOf<typeof context>;

/** Azora Mint: accounts, the double-entry ledger and escrow holds. */
// Annotated: `setup` builds request contexts of this very definition for the saga consumer.
export const mint: SubgraphDefinition<typeof context> = defineSubgraph({
  name: 'mint',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  context,
  errorCodes: mintErrors,
  resolvers,
  permissions,
  entities: [Currency, Account, Transfer, LedgerEntry, Hold],
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
  async setup({ orm, bus, env, nodeEnv }) {
    // The currency table is the source of truth; these are only the ones a new database starts with.
    await orm.em.fork().upsertMany(
      Currency,
      DEFAULT_CURRENCIES.map((c) => ({ ...c })),
      { onConflictAction: 'ignore' },
    );
    return { consumers: [escrowConsumer(subgraphConfig(mint, { ...env, NODE_ENV: nodeEnv }), bus)] };
  },
});

/**
 * Mint's part of Forge's contract saga, with the settings Mint started with: each step runs as Forge's saga
 * (`FORGE_SAGA`) through Mint's services, on the consumer's own transaction.
 */
export const escrowConsumer = (config: MintConfig, bus?: EventBus) =>
  contractEscrowConsumer((em, log) => requestContext(mint, { em, identity: FORGE_SAGA, log, bus, config }));
