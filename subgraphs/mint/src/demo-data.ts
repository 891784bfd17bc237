import { DEMO_USERS, type Identity, type Logger, type SqlEntityManager } from '@azora/kit';
import { Account } from './entities/account.entity';
import type { Context } from './schema';

const DEMO_TREASURY: Identity = { kind: 'service', userId: 'system:demo', roles: [], scopes: [] };
const person = (userId: string): Identity => ({ kind: 'user', userId, roles: [], scopes: [] });

/**
 * A USD wallet with 1,000.00 for every demo person (and a EUR one for the admin), on an empty database only. The
 * money arrives as real deposits made through the services, so the ledger balances from the start.
 */
export async function seedDemoData(
  em: SqlEntityManager,
  log: Logger,
  as: (identity: Identity) => Context,
): Promise<void> {
  if ((await em.count(Account, { kind: 'USER' })) > 0) return;
  const treasury = as(DEMO_TREASURY).services.ledger;
  for (const user of DEMO_USERS) {
    const account = await as(person(user.id)).services.ledger.openAccount('USD');
    await treasury.deposit({
      accountId: account.id,
      amount: '1000.00',
      idempotencyKey: `demo-${user.id}`,
      memo: 'Welcome to Azora',
    });
  }
  await as(person(DEMO_USERS[0].id)).services.ledger.openAccount('EUR');
  log.info({ accounts: DEMO_USERS.length + 1 }, 'demo accounts funded');
}
