import { z } from 'zod';
import { DomainError, readPayload, type EventConsumer, type SqlEntityManager } from '@azora/kit';
import { ContractService } from './contract.service';
import { SkillService } from './skill.service';

const certificateIssued = z.object({
  certificateId: z.string().min(1),
  learnerId: z.string().min(1),
  skills: z.array(z.string()),
});

/** LMS issued a certificate: its skills become verified on the learner's profile. */
export const skillsConsumer: EventConsumer = {
  name: 'forge.skills',
  topics: ['lms.certificate'],
  async handle(em, event, log) {
    if (event.type !== 'lms.certificate.issued') return;
    const certificate = readPayload(certificateIssued, event.payload, log);
    if (certificate) await new SkillService(em).grant(certificate);
  },
};

const holdOutcome = z.object({
  contractId: z.string().min(1),
  step: z.enum(['place', 'release', 'refund']).optional(),
  reason: z.string().optional(),
});

/** Mint's answers to the contract saga, and the move each one makes. */
const ANSWERS: Partial<
  Record<string, (contracts: ContractService, answer: z.infer<typeof holdOutcome>) => Promise<unknown>>
> = {
  'mint.hold.placed': (contracts, { contractId }) => contracts.funded(contractId),
  'mint.hold.released': (contracts, { contractId }) => contracts.paid(contractId),
  'mint.hold.refunded': (contracts, { contractId }) => contracts.refunded(contractId),
  'mint.hold.failed': (contracts, { contractId, step, reason = 'refused' }) =>
    step === 'place' ? contracts.fundingRefused(contractId, reason) : contracts.settlementRefused(contractId, reason),
};

/**
 * Forge's side of the contract saga: Mint's `mint.hold.*` answers move contracts on. An answer that no longer fits
 * the contract (it moved on meanwhile) is logged and dropped: retrying it would never fit either.
 */
export const contractSagaConsumer: EventConsumer = {
  name: 'forge.contract-saga',
  topics: ['mint.hold'],
  async handle(em: SqlEntityManager, event, log) {
    const answer = ANSWERS[event.type];
    const outcome = answer ? readPayload(holdOutcome, event.payload, log) : null;
    if (!answer || !outcome) return;
    try {
      await answer(new ContractService(em), outcome);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      log.warn(
        { contractId: outcome.contractId, type: event.type, reason: error.message },
        'escrow answer no longer fits the contract; dropped',
      );
    }
  },
};
