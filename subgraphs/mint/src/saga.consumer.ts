import { readEvent, type EventConsumer, type Logger, type SqlEntityManager } from '@azora/kit';
import { forgeEvents } from '@azora/forge/src/events';
import type { SagaStep } from './events';
import type { Context } from './schema';

type ForgeRequest =
  'forge.contract.created' | 'forge.contract.completion_requested' | 'forge.contract.cancellation_requested';

/** Forge's requests, and the step Mint performs for each; the contract's other news need nothing from Mint. */
const STEPS: Record<ForgeRequest, SagaStep> = {
  'forge.contract.created': 'place',
  'forge.contract.completion_requested': 'release',
  'forge.contract.cancellation_requested': 'refund',
};
const isRequest = (type: string): type is ForgeRequest => Object.hasOwn(STEPS, type);

/**
 * Mint's part of Forge's contract saga: each request becomes a step of `EscrowService`, run with the context
 * `contextFor` makes on the consumer's own transaction (as Forge's saga, with the settings Mint started with).
 * A payload this version cannot read is logged and skipped: redelivering it would never help.
 */
export const contractEscrowConsumer = (contextFor: (em: SqlEntityManager, log: Logger) => Context): EventConsumer => ({
  name: 'mint.contract-escrow',
  topics: ['forge.contract'],
  async handle(em, event, log) {
    if (!isRequest(event.type)) return;
    const contract = readEvent(forgeEvents, event.type, event, log);
    if (contract) await contextFor(em, log).services.escrow.perform(STEPS[event.type], contract);
  },
});
