import { DEMO_USERS, type Identity, type Logger, type SqlEntityManager } from '@azora/kit';
import { Job } from './entities/job.entity';
import type { Context } from './schema';

const KATHERINE: Identity = { kind: 'user', userId: DEMO_USERS[3].id, roles: ['employer'], scopes: [] };

/**
 * Katherine Johnson's open job, paid in USD from her demo wallet when she hires; on an empty database only, made
 * through the services.
 */
export async function seedDemoData(
  em: SqlEntityManager,
  log: Logger,
  as: (identity: Identity) => Context,
): Promise<void> {
  if ((await em.count(Job)) > 0) return;
  const job = await as(KATHERINE).services.jobs.post({
    title: 'Type a GraphQL API end to end',
    description: 'Add generated resolver types to a small Apollo subgraph and make the build fail on type errors.',
    skills: ['typescript', 'graphql'],
    budget: { amount: '300.00', currency: 'USD' },
  });
  log.info({ jobId: job.id }, 'demo job posted');
}
