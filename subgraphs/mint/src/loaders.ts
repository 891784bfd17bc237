import { manyByKey, oneByKey, type SqlEntityManager } from '@azora/kit';
import { Account } from './entities/account.entity';

export function createLoaders(em: SqlEntityManager) {
  return {
    accountById: oneByKey((ids) => em.find(Account, { id: { $in: [...ids] } }), (account) => account.id),
    accountsByOwner: manyByKey(
      (ownerIds) => em.find(Account, { ownerId: { $in: [...ownerIds] } }, { orderBy: { id: 'asc' } }),
      (account) => account.ownerId,
    ),
  };
}
export type MintLoaders = ReturnType<typeof createLoaders>;
