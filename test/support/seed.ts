import type { SqlEntityManager } from '@azora/kit';
import { User } from '../../subgraphs/aegis/src/entities/user.entity';
import { Account } from '../../subgraphs/mint/src/entities/account.entity';
import type { Platform } from './platform';

/** Test data of its own: users in Aegis and a USD and an EUR account each in Mint, linked only by the User key. */
export async function seedUsers(platform: Pick<Platform, 'subgraphs'>, count: number, tag: string): Promise<string[]> {
  const aegisEm = platform.subgraphs.aegis!.orm.em.fork() as SqlEntityManager;
  const mintEm = platform.subgraphs.mint!.orm.em.fork() as SqlEntityManager;
  const users = Array.from({ length: count }, (_, i) =>
    aegisEm.create(User, { email: `${tag}-${i}@example.test`, displayName: `${tag} ${i}`, roles: ['learner'] }),
  );
  await aegisEm.flush();
  for (const user of users) {
    mintEm.create(Account, { ownerId: user.id, currency: 'USD' });
    mintEm.create(Account, { ownerId: user.id, currency: 'EUR' });
  }
  await mintEm.flush();
  return users.map((u) => u.id);
}
