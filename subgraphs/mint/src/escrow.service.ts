import { DomainError, notFound } from '@azora/kit';
import type { Hold } from './entities/hold.entity';
import { contractEscrowKey, contractEscrows, type ContractReference } from './escrow';
import { insufficientFunds } from './errors';
import type { ForgeContractRequest, SagaStep } from './events';
import { formatMinor } from './money';
import type { Context } from './schema';

/** The answer Mint records for each step that succeeds. */
const ANSWERS = {
  place: 'mint.hold.placed',
  release: 'mint.hold.released',
  refund: 'mint.hold.refunded',
} as const satisfies Record<SagaStep, string>;

/**
 * The escrow behind Forge's contracts: the hold that funds each one, and Mint's steps of the contract saga. The steps
 * run as Forge's saga (`FORGE_SAGA`, the consumer's identity) in the consumer's transaction, so the movement, the
 * record that the event was handled and Mint's answer (`mint.hold.*`) commit together.
 */
export class EscrowService {
  constructor(private readonly ctx: Context) {}

  /** The hold that funds a contract, if it was placed (the shield shows it to the contract's parties and staff). */
  async escrowOf(contract: ContractReference): Promise<Hold | null> {
    return (await this.ctx.loaders.escrowByContract.load(contract.id))?.hold ?? null;
  }

  /**
   * Performs one step for a contract and records Mint's answer. A business refusal (no account, insufficient funds,
   * a frozen account) is an answer, `mint.hold.failed`, not a failure: retrying it would change nothing. Anything
   * else throws, and the bus delivers the event again; the ledger's idempotency key and the hold's exactly-once
   * ending make the repeated step harmless.
   */
  async perform(step: SagaStep, contract: ForgeContractRequest): Promise<void> {
    try {
      const hold = await this.run(step, contract);
      const currency = await this.ctx.services.money.currency(hold.currency);
      this.ctx.events.record(ANSWERS[step], {
        contractId: contract.contractId,
        holdId: hold.id,
        amount: formatMinor(hold.amountMinor, currency.minorDigits),
        currency: hold.currency,
        payeeAccountId: hold.payeeAccountId ?? null,
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.ctx.log.warn(
        { contractId: contract.contractId, step, reason: error.message },
        'contract escrow step refused',
      );
      this.ctx.events.record('mint.hold.failed', {
        contractId: contract.contractId,
        step,
        code: String(error.extensions.code),
        reason: error.message,
      });
    }
    await this.ctx.em.flush();
  }

  private async run(step: SagaStep, contract: ForgeContractRequest): Promise<Hold> {
    const { ledger } = this.ctx.services;
    switch (step) {
      // A new contract: hold the budget from the employer's account in its currency.
      case 'place': {
        const account = await ledger.userAccountOf(contract.employerId, contract.currency);
        if (!account) throw insufficientFunds(`The employer has no ${contract.currency} account`);
        return ledger.placeHold({
          accountId: account.id,
          amount: contract.amount,
          idempotencyKey: contractEscrowKey(contract.contractId),
          reference: `forge:contract:${contract.contractId}`,
        });
      }
      // The employer completed the contract: pay the freelancer, in an account opened for them if they have none.
      case 'release': {
        const hold = await this.placed(contract.contractId);
        const payee = await ledger.payeeAccountOf(contract.freelancerId, hold.currency);
        return ledger.releaseHold({ holdId: hold.id, payeeAccountId: payee.id });
      }
      // The contract was cancelled: give the employer their money back.
      case 'refund':
        return ledger.refundHold({ holdId: (await this.placed(contract.contractId)).id });
    }
  }

  private async placed(contractId: string): Promise<Hold> {
    const [escrow] = await contractEscrows(this.ctx.em, [contractId]);
    if (!escrow) throw notFound('Escrow for contract', contractId);
    return escrow.hold;
  }
}
