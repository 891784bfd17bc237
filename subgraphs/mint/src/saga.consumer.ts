import { z } from 'zod';
import {
  DomainError,
  notFound,
  readPayload,
  recordEvent,
  type DomainEvent,
  type EventConsumer,
  type SqlEntityManager,
} from '@azora/kit';
import type { MintConfig } from './config';
import { contractEscrowKey, contractEscrows, FORGE_SAGA } from './escrow';
import type { Hold } from './entities/hold.entity';
import { LedgerService, SOURCE } from './ledger.service';
import { formatMinor } from './money';

/** What Forge's contract events carry that Mint needs (the rest of the payload is Forge's business). */
const contractEvent = z.object({
  contractId: z.string().min(1).max(36),
  employerId: z.string().min(1),
  freelancerId: z.string().min(1),
  amount: z.string(),
  currency: z.string(),
});
type ContractEvent = z.infer<typeof contractEvent>;

type Step = 'place' | 'release' | 'refund';

/** Forge's requests, and what Mint does for each. */
const STEPS: Partial<
  Record<
    string,
    {
      step: Step;
      run: (ledger: LedgerService, em: SqlEntityManager, c: ContractEvent) => Promise<{ type: string; hold: Hold }>;
    }
  >
> = {
  // A new contract: hold the budget from the employer's account in its currency.
  'forge.contract.created': {
    step: 'place',
    async run(ledger, _em, c) {
      const account = await ledger.userAccountOf(c.employerId, c.currency);
      if (!account) throw new DomainError('INSUFFICIENT_FUNDS', `The employer has no ${c.currency} account`);
      const hold = await ledger.placeHold(FORGE_SAGA, {
        accountId: account.id,
        amount: c.amount,
        idempotencyKey: contractEscrowKey(c.contractId),
        reference: `forge:contract:${c.contractId}`,
      });
      return { type: 'mint.hold.placed', hold };
    },
  },
  // The employer completed the contract: pay the freelancer, in an account opened for them if they have none.
  'forge.contract.completion_requested': {
    step: 'release',
    async run(ledger, em, c) {
      const hold = await escrowOf(em, c.contractId);
      const payee = await ledger.payeeAccountOf(c.freelancerId, hold.currency);
      return {
        type: 'mint.hold.released',
        hold: await ledger.releaseHold(FORGE_SAGA, { holdId: hold.id, payeeAccountId: payee.id }),
      };
    },
  },
  // The contract was cancelled: give the employer their money back.
  'forge.contract.cancellation_requested': {
    step: 'refund',
    async run(ledger, em, c) {
      const hold = await escrowOf(em, c.contractId);
      return { type: 'mint.hold.refunded', hold: await ledger.refundHold(FORGE_SAGA, { holdId: hold.id }) };
    },
  },
};

async function escrowOf(em: SqlEntityManager, contractId: string): Promise<Hold> {
  const [escrow] = await contractEscrows(em, [contractId]);
  if (!escrow) throw notFound('Escrow for contract', contractId);
  return escrow.hold;
}

/**
 * Mint's part of Forge's contract saga. Each step moves money through the ledger in the consumer's own transaction,
 * so the movement, the record that the event was handled and Mint's answer (`mint.hold.*`) commit together; the
 * ledger's idempotency key and the hold's exactly-once ending make a repeated step harmless. A business refusal
 * (no account, insufficient funds, a frozen account) is an answer, `mint.hold.failed`, not a failure: retrying it
 * would change nothing. Anything else throws, and the bus delivers the event again. Built by `setup` with the
 * settings Mint started with.
 */
export const contractEscrowConsumer = (config: MintConfig): EventConsumer => ({
  name: 'mint.contract-escrow',
  topics: ['forge.contract'],
  async handle(em, event: DomainEvent, log) {
    const handler = STEPS[event.type];
    if (!handler) return; // the contract's other news need nothing from Mint
    const contract = readPayload(contractEvent, event.payload, log.child({ type: event.type }));
    if (!contract) return;
    const ledger = new LedgerService(em, config);
    try {
      const { type, hold } = await handler.run(ledger, em, contract);
      const currency = await ledger.currency(hold.currency);
      recordEvent(em, SOURCE, {
        topic: 'mint.hold',
        type,
        payload: {
          contractId: contract.contractId,
          holdId: hold.id,
          amount: formatMinor(hold.amountMinor, currency.minorDigits),
          currency: hold.currency,
          payeeAccountId: hold.payeeAccountId,
        },
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      log.warn(
        { contractId: contract.contractId, step: handler.step, reason: error.message },
        'contract escrow step refused',
      );
      recordEvent(em, SOURCE, {
        topic: 'mint.hold',
        type: 'mint.hold.failed',
        payload: {
          contractId: contract.contractId,
          step: handler.step,
          code: error.extensions.code,
          reason: error.message,
        },
      });
    }
    await em.flush();
  },
});
