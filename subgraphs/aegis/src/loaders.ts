import { byId, type SqlEntityManager } from '@azora/kit';
import { User } from './entities/user.entity';

/** This request's loaders: each batches the reads of one plan step into one statement. */
export function createLoaders(em: SqlEntityManager) {
  return {
    userById: byId(em, User),
  };
}
