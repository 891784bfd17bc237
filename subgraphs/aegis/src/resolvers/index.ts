import { DateTimeScalar, eventStream, forbidden, hasRole } from '@azora/kit';
import type { User as UserEntity } from '../entities/user.entity';
import { ApiKeyService } from '../api-keys.service';
import { AuthService, type AuthPayload } from '../auth.service';
import type { AegisContext } from '../context';
import type { Resolvers } from '../generated/resolvers-types';
import { OAuthService } from '../oauth.service';
import { RoleService } from '../roles.service';
import { UserService } from '../user.service';

const auth = (ctx: AegisContext) => new AuthService(ctx.em, ctx.aegis, ctx.identity);
const apiKeys = (ctx: AegisContext) => new ApiKeyService(ctx.em, ctx.aegis);

/** Remembers who this request signed in, so the payload may show them their own private fields. */
async function signedIn(ctx: AegisContext, payload: Promise<AuthPayload>): Promise<AuthPayload> {
  const result = await payload;
  ctx.signedIn.userId = result.user.id;
  return result;
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_parent, _args, { identity, loaders }) =>
      identity.kind === 'user' || identity.kind === 'apiKey' ? loaders.userById.load(identity.userId!) : null,
    user: (_parent, { id }, { loaders }) => loaders.userById.load(id),
    users: (_parent, args, { em }) => new UserService(em).list(args),
    apiKeys: (_parent, _args, ctx) => apiKeys(ctx).list(ctx.identity),
  },
  Mutation: {
    signUp: (_parent, { input }, ctx) => signedIn(ctx, auth(ctx).signUp(input)),
    signIn: (_parent, { input }, ctx) => signedIn(ctx, auth(ctx).signIn(input)),
    refreshSession: (_parent, { refreshToken }, ctx) => signedIn(ctx, auth(ctx).refresh(refreshToken)),
    signOut: (_parent, { refreshToken }, ctx) => auth(ctx).signOut(refreshToken),
    createApiKey: (_parent, { input }, ctx) => apiKeys(ctx).create(ctx.identity, input),
    revokeApiKey: (_parent, { id }, ctx) => apiKeys(ctx).revoke(ctx.identity, id),
    registerOAuthClient: (_parent, { input }, ctx) => new OAuthService(ctx.em, ctx.aegis).registerClient(input),
    grantRole: (_parent, { userId, role }, { em }) => new RoleService(em).grant(userId, role),
    revokeRole: (_parent, { userId, role }, { em, identity }) => new RoleService(em).revoke(identity, userId, role),
    rotateSigningKey: async (_parent, _args, { aegis, identity }) => {
      // Defence in depth: the router's rule tree already limits this to admins.
      if (!hasRole(identity, 'admin')) throw forbidden();
      const kid = await aegis.keys.rotate();
      return { kid, publishedKids: (await aegis.keys.jwks()).keys.map((k) => k.kid!) };
    },
  },
  Subscription: {
    userSignedUp: {
      subscribe: (_p, _a, { bus, identity }) => {
        // Defence in depth: the router's rule tree already limits this to admins.
        if (!hasRole(identity, 'admin')) throw forbidden();
        return eventStream(bus, ['aegis.user'], (event) => ({ id: String(event.payload.userId) }) as UserEntity);
      },
      resolve: (user: UserEntity) => user,
    },
  },
  User: {
    __resolveReference: (reference, { loaders }) => loaders.userById.load(reference.id),
  },
};
