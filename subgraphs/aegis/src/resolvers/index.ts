import { DateTimeScalar } from '@azora/kit';
import type { Resolvers } from '../generated/resolvers-types';
import { UserService } from '../user.service';

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    user: (_parent, { id }, { loaders }) => loaders.userById.load(id),
    users: (_parent, args, { em }) => new UserService(em).list(args),
  },
  User: {
    __resolveReference: (reference, { loaders }) => loaders.userById.load(reference.id),
  },
};
