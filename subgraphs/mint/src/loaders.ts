import { byId, inKeys, manyByKey, oneByKey, type SqlEntityManager } from '@azora/kit';
import { Account } from './entities/account.entity';
import { Currency } from './entities/currency.entity';
import { Hold } from './entities/hold.entity';
import { LedgerEntry } from './entities/ledger-entry.entity';
import { Transfer } from './entities/transfer.entity';
import { contractEscrows } from './escrow';

/** This request's loaders: each batches the reads of one plan step into one statement. */
export function createLoaders(em: SqlEntityManager) {
  return {
    accountById: byId(em, Account),
    accountsByOwner: manyByKey(
      (ownerIds) => em.find(Account, { ownerId: inKeys(ownerIds), kind: 'USER' }, { orderBy: { id: 'asc' } }),
      (account) => account.ownerId!,
    ),
    transferById: byId(em, Transfer),
    ledgerEntryById: byId(em, LedgerEntry),
    holdById: byId(em, Hold),
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
