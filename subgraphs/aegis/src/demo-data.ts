import { DEMO_PASSWORD, DEMO_USERS, type Logger, type SqlEntityManager } from '@azora/kit';
import { User } from './entities/user.entity';
import { hashPassword } from './passwords';

/** The demo people, all with the printed demo password, on an empty database only (development). */
export async function seedDemoData(em: SqlEntityManager, log: Logger): Promise<void> {
  if ((await em.count(User)) > 0) return;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const demo of DEMO_USERS) {
    em.create(User, { ...demo, roles: ['learner', ...demo.roles.filter((r) => r !== 'learner')], passwordHash });
  }
  await em.flush();
  log.info({ users: DEMO_USERS.length }, 'demo users created');
}
