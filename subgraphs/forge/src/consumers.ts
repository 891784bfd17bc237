// Only the producers' event schemas, not their definitions.
import { lmsEvents } from '@azora/lms/src/events';
import { mintEvents } from '@azora/mint/src/events';
import {
  DomainError,
  readEvent,
  type EventConsumer,
  type EventPayload,
  type Identity,
  type Logger,
  type SqlEntityManager,
} from '@azora/kit';
import type { ContractService } from './contract.service';
import type { Context } from './schema';

/** Forge's request context for handling one event, with the consumer's transaction as its `em` (from schema.ts). */
export type ConsumerContext = (em: SqlEntityManager, log: Logger) => Context;

/** Who a consumer acts as: Forge itself, reacting to an event; no caller's rights are involved. */
export const FORGE_ITSELF: Identity = Object.freeze({ kind: 'service', userId: null, roles: [], scopes: [] });

/** LMS issued a certificate: its skills become verified on the learner's profile. Read with LMS's own schema. */
export const skillsConsumer = (contextOf: ConsumerContext): EventConsumer => ({
  name: 'forge.skills',
  topics: ['lms.certificate'],
  async handle(em, event, log) {
    const certificate = readEvent(lmsEvents, 'lms.certificate.issued', event, log);
    if (certificate) await contextOf(em, log).services.skills.grant(certificate);
  },
});

type HoldAnswers = Pick<
  typeof mintEvents,
  'mint.hold.placed' | 'mint.hold.released' | 'mint.hold.refunded' | 'mint.hold.failed'
>;
type HoldAnswer = keyof HoldAnswers;

/** Mint's answers to the contract saga, and the move each one makes. */
const MOVES: {
  [Type in HoldAnswer]: (contracts: ContractService, answer: EventPayload<HoldAnswers, Type>) => Promise<unknown>;
} = {
  'mint.hold.placed': (contracts, { contractId }) => contracts.funded(contractId),
  'mint.hold.released': (contracts, { contractId }) => contracts.paid(contractId),
  'mint.hold.refunded': (contracts, { contractId }) => contracts.refunded(contractId),
  'mint.hold.failed': (contracts, { contractId, step, reason }) =>
    step === 'place' ? contracts.fundingRefused(contractId, reason) : contracts.settlementRefused(contractId, reason),
};
const isHoldAnswer = (type: string): type is HoldAnswer => Object.hasOwn(MOVES, type);

/**
 * Forge's side of the contract saga: Mint's `mint.hold.*` answers move contracts on. An answer that no longer fits
 * the contract (it moved on meanwhile) is logged and dropped: retrying it would never fit either.
 */
export const contractSagaConsumer = (contextOf: ConsumerContext): EventConsumer => ({
  name: 'forge.contract-saga',
  topics: ['mint.hold'],
  async handle(em, event, log) {
    const type = event.type;
    if (!isHoldAnswer(type)) return;
    const answer = readEvent(mintEvents, type, event, log);
    if (!answer) return;
    const move = MOVES[type] as (
      contracts: ContractService,
      answer: EventPayload<HoldAnswers, HoldAnswer>,
    ) => Promise<unknown>;
    try {
      await move(contextOf(em, log).services.contracts, answer);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      log.warn(
        { contractId: answer.contractId, type, reason: error.message },
        'escrow answer no longer fits the contract; dropped',
      );
    }
  },
});
