import { inKeys, oneByKey, type SqlEntityManager } from '@azora/kit';
import { User } from './entities/user.entity';

export function createLoaders(em: SqlEntityManager) {
  return {
    userById: oneByKey(
      (ids) => em.find(User, { id: inKeys(ids) }),
      (user) => user.id,
    ),
  };
}
export type AegisLoaders = ReturnType<typeof createLoaders>;
