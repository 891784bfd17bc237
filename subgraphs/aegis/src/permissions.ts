import { rule } from 'graphql-shield';
import { forbidden, hasRole } from '@azora/kit';
import type { User } from './entities/user.entity';
import type { Context } from './schema';

/** A user's private fields: the user themself (or the one this request just signed in) and admins. */
const selfOrAdmin = rule('selfOrAdmin', { cache: 'no_cache' })((user: User, _args, ctx: Context) =>
  ctx.identity.userId === user.id || ctx.services.auth.signedIn(user.id) || hasRole(ctx.identity, 'admin')
    ? true
    : forbidden('Only the user themself or an admin may see this'),
);

export const permissions = {
  User: { email: selfOrAdmin, roles: selfOrAdmin, createdAt: selfOrAdmin },
};
