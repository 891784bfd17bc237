import type { Identity, SqlEntityManager } from '@azora/kit';
import { Hold } from './entities/hold.entity';
import { Transfer } from './entities/transfer.entity';

/**
 * Who Mint acts as when it moves money for Forge's contract saga: the initiator of those transfers. Only Mint's own
 * saga consumer uses it; no client can present it (the router asserts a service identity only for its own calls).
 */
export const FORGE_SAGA: Identity = Object.freeze({
  kind: 'service',
  userId: 'system:forge',
  roles: [],
  scopes: [],
}) as Identity;

/** The idempotency key of a contract's escrow hold: one hold per contract, however often the request arrives. */
export const contractEscrowKey = (contractId: string) => `forge-contract:${contractId}`;

/**
 * The holds that fund these Forge contracts, each with its contract id. Found through the saga's own transfer and its
 * key, never through `Hold.reference`, which any payer may set to anything.
 */
export async function contractEscrows(em: SqlEntityManager, contractIds: readonly string[]): Promise<ContractEscrow[]> {
  const contractOf = new Map(contractIds.map((id) => [contractEscrowKey(id), id]));
  const transfers = await em.find(Transfer, {
    initiatorId: FORGE_SAGA.userId!,
    kind: 'HOLD',
    idempotencyKey: { $in: [...contractOf.keys()] },
  });
  if (transfers.length === 0) return [];
  const holds = await em.find(Hold, { placeTransferId: { $in: transfers.map((t) => t.id) } });
  const contractOfTransfer = new Map(transfers.map((t) => [t.id, contractOf.get(t.idempotencyKey)!]));
  return holds.map((hold) => ({ contractId: contractOfTransfer.get(hold.placeTransferId)!, hold }));
}

export interface ContractEscrow {
  contractId: string;
  hold: Hold;
}

/** What Mint's `Contract` representation carries: its key and, by `@requires`, its two parties from Forge. */
export interface ContractReference {
  id: string;
  employer?: { id: string } | null;
  freelancer?: { id: string } | null;
}
