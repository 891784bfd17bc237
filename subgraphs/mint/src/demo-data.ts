import { DEMO_USERS, type Identity, type Logger, type SqlEntityManager } from '@azora/kit';
import { loadMintConfig } from './config';
import { Account } from './entities/account.entity';
import { LedgerService } from './ledger.service';

const DEMO_TREASURY: Identity = { kind: 'service', userId: 'system:demo', roles: [], scopes: [] };

/**
 * A USD wallet with 1,000.00 for every demo person (and a EUR one for the admin), on an empty database only. The
 * money arrives as real deposits, so the ledger balances from the start.
 */
export async function seedDemoData(em: SqlEntityManager, log: Logger): Promise<void> {
  if ((await em.count(Account, { kind: 'USER' })) > 0) return;
  const ledger = new LedgerService(em, loadMintConfig(process.env));
  for (const user of DEMO_USERS) {
    const account = await ledger.openAccount({ kind: 'user', userId: user.id, roles: [], scopes: [] }, 'USD');
    await ledger.deposit(DEMO_TREASURY, {
      accountId: account.id,
      amount: '1000.00',
      idempotencyKey: `demo-${user.id}`,
      memo: 'Welcome to Azora',
    });
  }
  await ledger.openAccount({ kind: 'user', userId: DEMO_USERS[0].id, roles: [], scopes: [] }, 'EUR');
  log.info({ accounts: DEMO_USERS.length + 1 }, 'demo accounts funded');
}
