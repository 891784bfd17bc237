import { inKeys, oneByKey, type SqlEntityManager } from '@azora/kit';
import { LoggedEvent } from './entities/logged-event.entity';

export function createLoaders(em: SqlEntityManager) {
  return {
    eventById: oneByKey(
      (ids) => em.find(LoggedEvent, { id: inKeys(ids) }),
      (event) => event.id,
    ),
  };
}
export type NexusLoaders = ReturnType<typeof createLoaders>;
