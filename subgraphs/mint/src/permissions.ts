import { ownerOr } from '@azora/kit';
import type { Account } from './entities/account.entity';

/** Money is private: an account and a user's list of accounts are for the owner, treasury and admins. */
export const permissions = {
  Account: ownerOr('accountOwnerOrTreasury', (account: Account) => account.ownerId, 'treasury', 'admin'),
  User: { accounts: ownerOr('ownAccountsOrTreasury', (user: { id: string }) => user.id, 'treasury', 'admin') },
};
