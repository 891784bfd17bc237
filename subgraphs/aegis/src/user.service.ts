import { pageRequest, toConnection, type ConnectionArgs, type SqlEntityManager } from '@azora/kit';
import { User } from './entities/user.entity';

/** Reading users. Sign-up, credentials and roles management build on this. */
export class UserService {
  constructor(private readonly em: SqlEntityManager) {}

  /** Users oldest first; ids are time-ordered, so the id is the cursor. */
  async list(args: ConnectionArgs) {
    const { limit, afterKey } = pageRequest(args);
    const rows = await this.em.find(User, afterKey ? { id: { $gt: afterKey } } : {}, {
      orderBy: { id: 'asc' },
      limit: limit + 1,
    });
    return toConnection(rows, limit, (user) => user.id);
  }
}
