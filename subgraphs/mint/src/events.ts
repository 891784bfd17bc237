import { z } from 'zod';
import { event, type EventPayload } from '@azora/kit';
// Only Forge's event schemas, not its definition: the two subgraphs read each other's events.
import { forgeEvents } from '@azora/forge/src/events';
import { TRANSFER_KINDS } from './entities/transfer.entity';

const id = z.string().min(1);
/** An exact decimal string in the currency's precision, as the API shows money. */
const amount = z.string().regex(/^-?\d+(\.\d+)?$/);
const currency = z.string().regex(/^[A-Z]{3}$/);
/** The steps of Forge's contract saga Mint performs. */
export const SAGA_STEPS = ['place', 'release', 'refund'] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

const holdOutcome = z.object({
  contractId: id,
  holdId: id,
  amount,
  currency,
  payeeAccountId: id.nullable(),
});

/**
 * The events Mint records, by type, with their payload schemas. Mint validates what it records against them; a
 * consumer elsewhere (Forge's contract saga reads `mint.hold.*`) reads with the same ones through `readEvent`.
 */
export const mintEvents = {
  'mint.transfer.completed': event(
    'mint.transfer',
    z.object({
      transferId: id,
      kind: z.enum(TRANSFER_KINDS),
      currency,
      /** Integer minor units, as a string (a bigint does not survive JSON). */
      amountMinor: z.string().regex(/^\d+$/),
      entries: z.array(z.object({ id, accountId: id, ownerId: id.nullable() })),
    }),
  ),
  'mint.hold.placed': event('mint.hold', holdOutcome),
  'mint.hold.released': event('mint.hold', holdOutcome),
  'mint.hold.refunded': event('mint.hold', holdOutcome),
  'mint.hold.failed': event(
    'mint.hold',
    z.object({ contractId: id, step: z.enum(SAGA_STEPS), code: z.string(), reason: z.string() }),
  ),
};

/** What Mint needs of a Forge contract event to move its money (Forge's schema carries more). */
export type ForgeContractRequest = Pick<
  EventPayload<typeof forgeEvents, 'forge.contract.created'>,
  'contractId' | 'employerId' | 'freelancerId' | 'amount' | 'currency'
>;
