import { byReference, DateTimeScalar } from '@azora/kit';
import type { User } from '../entities/user.entity';
import type { Resolvers } from '../generated/resolvers-types';
import type { Context } from '../schema';

type Loaders = Context['loaders'];

/** Every resolver hands its work to a service: the rules live there. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    me: (_p, _a, ctx) => ctx.services.users.me(),
    user: (_p, { id }, ctx) => ctx.services.users.byId(id),
    users: (_p, args, ctx) => ctx.services.users.list(args),
    apiKeys: (_p, _a, ctx) => ctx.services.apiKeys.list(),
  },
  Mutation: {
    signUp: (_p, { input }, ctx) => ctx.services.auth.signUp(input),
    signIn: (_p, { input }, ctx) => ctx.services.auth.signIn(input),
    refreshSession: (_p, { refreshToken }, ctx) => ctx.services.auth.refresh(refreshToken),
    signOut: (_p, { refreshToken }, ctx) => ctx.services.auth.signOut(refreshToken),
    createApiKey: (_p, { input }, ctx) => ctx.services.apiKeys.create(input),
    revokeApiKey: (_p, { id }, ctx) => ctx.services.apiKeys.revoke(id),
    registerOAuthClient: (_p, { input }, ctx) => ctx.services.oauth.registerClient(input),
    grantRole: (_p, { userId, role }, ctx) => ctx.services.roles.grant(userId, role),
    revokeRole: (_p, { userId, role }, ctx) => ctx.services.roles.revoke(userId, role),
    rotateSigningKey: (_p, _a, ctx) => ctx.services.signingKeys.rotate(),
  },
  Subscription: {
    userSignedUp: {
      subscribe: (_p, _a, ctx) => ctx.services.users.signUps(),
      resolve: (user: User) => user,
    },
  },
  User: {
    __resolveReference: byReference((loaders: Loaders) => loaders.userById),
  },
};
