import { inKeys, manyByKey, oneByKey, type SqlEntityManager } from '@azora/kit';
import { Account } from './entities/account.entity';
import { Currency } from './entities/currency.entity';
import { Hold } from './entities/hold.entity';
import { LedgerEntry } from './entities/ledger-entry.entity';
import { Transfer } from './entities/transfer.entity';
import { contractEscrows } from './escrow';

export function createLoaders(em: SqlEntityManager) {
  return {
    accountById: oneByKey(
      (ids) => em.find(Account, { id: inKeys(ids) }),
      (account) => account.id,
    ),
    accountsByOwner: manyByKey(
      (ownerIds) => em.find(Account, { ownerId: inKeys(ownerIds), kind: 'USER' }, { orderBy: { id: 'asc' } }),
      (account) => account.ownerId!,
    ),
    transferById: oneByKey(
      (ids) => em.find(Transfer, { id: inKeys(ids) }),
      (transfer) => transfer.id,
    ),
    ledgerEntryById: oneByKey(
      (ids) => em.find(LedgerEntry, { id: inKeys(ids) }),
      (entry) => entry.id,
    ),
    holdById: oneByKey(
      (ids) => em.find(Hold, { id: inKeys(ids) }),
      (hold) => hold.id,
    ),
    /** The hold funding each Forge contract, by contract id. */
    escrowByContract: oneByKey(
      (ids) => contractEscrows(em, ids),
      (escrow) => escrow.contractId,
    ),
    currencyByCode: oneByKey(
      (codes) => em.find(Currency, { code: inKeys(codes) }),
      (currency) => currency.code,
    ),
  };
}
export type MintLoaders = ReturnType<typeof createLoaders>;
