import { DEMO_USERS, type Logger, type SqlEntityManager } from '@azora/kit';
import { Account } from './entities/account.entity';

/** A USD wallet for every demo person (and a EUR one for the admin), on an empty database only. */
export async function seedDemoData(em: SqlEntityManager, log: Logger): Promise<void> {
  if ((await em.count(Account)) > 0) return;
  for (const user of DEMO_USERS) em.create(Account, { ownerId: user.id, currency: 'USD' });
  em.create(Account, { ownerId: DEMO_USERS[0].id, currency: 'EUR' });
  await em.flush();
  log.info({ accounts: DEMO_USERS.length + 1 }, 'demo accounts created');
}
