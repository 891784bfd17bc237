import { ownerOr } from '@azora/kit';
import type { Context } from './schema';
import type { Account } from './entities/account.entity';
import type { ContractReference } from './escrow';
import type { Hold } from './entities/hold.entity';
import type { LedgerEntry } from './entities/ledger-entry.entity';
import type { Transfer } from './entities/transfer.entity';

const ownerOfAccount = async (accountId: string, { loaders }: Context) =>
  (await loaders.accountById.load(accountId))?.ownerId;
const STAFF = ['treasury', 'admin'];

/** Money is private: accounts, their entries, transfers and holds are for their owners, treasury and admins. */
export const permissions = {
  Account: ownerOr('accountOwner', (account: Account) => account.ownerId, ...STAFF),
  LedgerEntry: ownerOr(
    'entryOwner',
    (entry: LedgerEntry, ctx: Context) => ownerOfAccount(entry.accountId, ctx),
    ...STAFF,
  ),
  Transfer: ownerOr(
    'transferParty',
    async (transfer: Transfer, ctx: Context) => [
      transfer.initiatorId,
      await ownerOfAccount(transfer.fromAccountId, ctx),
      await ownerOfAccount(transfer.toAccountId, ctx),
    ],
    ...STAFF,
  ),
  Hold: ownerOr('holdPayer', (hold: Hold, ctx: Context) => ownerOfAccount(hold.accountId, ctx), ...STAFF),
  // The contract's parties come from Forge (`@requires`): the freelancer may see the escrow that secures their pay.
  Contract: {
    escrow: ownerOr(
      'contractParty',
      (contract: ContractReference) => [contract.employer?.id, contract.freelancer?.id],
      ...STAFF,
    ),
  },
  User: { accounts: ownerOr('ownAccounts', (user: { id: string }) => user.id, ...STAFF) },
};
