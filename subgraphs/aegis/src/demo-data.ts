import { DEMO_USERS, type Logger, type SqlEntityManager } from '@azora/kit';
import { User } from './entities/user.entity';

/** The demo people, on an empty database only. */
export async function seedDemoData(em: SqlEntityManager, log: Logger): Promise<void> {
  if ((await em.count(User)) > 0) return;
  for (const demo of DEMO_USERS) {
    em.create(User, { ...demo, roles: [...demo.roles] });
  }
  await em.flush();
  log.info({ users: DEMO_USERS.length }, 'demo users created');
}
