import { eventStream, pageRequest, readEvent, toConnection, type ConnectionArgs } from '@azora/kit';
import { User } from './entities/user.entity';
import { aegisEvents } from './events';
import type { Context } from './schema';

/** Reading users. Sign-up, credentials and roles management build on this. */
export class UserService {
  constructor(private readonly ctx: Context) {}

  /** The caller, when the caller is a person (signed in, or through their API key). A machine client is nobody. */
  me(): Promise<User | null> {
    const { kind, userId } = this.ctx.identity;
    return (kind === 'user' || kind === 'apiKey') && userId
      ? this.ctx.loaders.userById.load(userId)
      : Promise.resolve(null);
  }

  /** One user by id (their private fields are the shield's). */
  byId(id: string): Promise<User | null> {
    return this.ctx.loaders.userById.load(id);
  }

  /** Users oldest first; ids are time-ordered, so the id is the cursor. */
  async list(args: ConnectionArgs) {
    const { limit, afterKey } = pageRequest(args);
    const rows = await this.ctx.em.find(User, afterKey ? { id: { $gt: afterKey } } : {}, {
      orderBy: { id: 'asc' },
      limit: limit + 1,
    });
    return toConnection(rows, limit, (user) => user.id);
  }

  /**
   * Every new account as it signs up (only admins may follow it: the router's rule). Each is the user's id only;
   * the rest of the user is read by id.
   */
  signUps() {
    return eventStream(this.ctx.bus, ['aegis.user'], (event) => {
      const signedUp = readEvent(aegisEvents, 'aegis.user.signed_up', event, this.ctx.log);
      return signedUp ? ({ id: signedUp.userId } as User) : undefined;
    });
  }
}
