import { DecimalScalar } from '@azora/kit';
import type { Resolvers } from '../generated/resolvers-types';
import { formatMinor } from '../money';

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  Query: {
    account: (_parent, { id }, { loaders }) => loaders.accountById.load(id),
  },
  Account: {
    __resolveReference: (reference, { loaders }) => loaders.accountById.load(reference.id),
    owner: (account) => ({ __typename: 'User', id: account.ownerId }),
    balance: (account) => ({ amount: formatMinor(account.balanceMinor, account.currency), currency: account.currency }),
  },
  User: {
    // Mint keeps no user rows: the reference itself is all it needs.
    __resolveReference: (reference) => ({ id: reference.id }),
    accounts: (user, _args, { loaders }) => loaders.accountsByOwner.load(user.id),
  },
};
