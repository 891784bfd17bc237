import { byId, type SqlEntityManager } from '@azora/kit';
import { LoggedEvent } from './entities/logged-event.entity';

/** This request's loaders. */
export function createLoaders(em: SqlEntityManager) {
  return { eventById: byId(em, LoggedEvent) };
}
