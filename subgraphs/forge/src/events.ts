import { z } from 'zod';
import { event, type DomainEvent } from '@azora/kit';
import { CONTRACT_STATUSES } from './contract-states';

const id = z.string().min(1);
const slugs = z.array(z.string());
const money = z.object({ amount: z.string(), currency: z.string() });

/**
 * What every contract event carries: enough for Mint to move the money (the saga's requests) and for a feed to show
 * the change. Mint reads it with this schema (`readEvent(forgeEvents, 'forge.contract.created', …)`).
 */
const contractChange = z.object({
  contractId: id,
  jobId: id,
  applicationId: id,
  employerId: id,
  freelancerId: id,
  amount: z.string(),
  currency: z.string(),
  status: z.enum(CONTRACT_STATUSES),
  reason: z.string().nullable(),
});
const contractEvent = () => event('forge.contract', contractChange);

/** A `forge.contract` event's payload, whichever move it records (they share one schema); null if unreadable. */
export function contractChangeOf(event: DomainEvent): z.output<typeof contractChange> | null {
  return contractChange.safeParse(event.payload).data ?? null;
}

/** A job's hire, and its undoing when the funding fails. */
const jobHire = z.object({ jobId: id, applicationId: id, contractId: id });
const skillChange = z.object({ userId: id, skill: z.string() });

/**
 * The events Forge records, by type, with their payload schemas. Forge validates what it records against them, and a
 * consumer in another subgraph (Mint's side of the contract saga) reads with the same ones.
 */
export const forgeEvents = {
  'forge.job.posted': event(
    'forge.job',
    z.object({ jobId: id, posterId: id, title: z.string(), skills: slugs, budget: money }),
  ),
  'forge.job.filled': event('forge.job', jobHire),
  'forge.job.reopened': event('forge.job', jobHire),
  'forge.application.submitted': event(
    'forge.application',
    z.object({ applicationId: id, jobId: id, applicantId: id, posterId: id }),
  ),
  // The contract saga: one event per move of the state machine (contract-states.ts's EVENT_OF), plus Mint's refusal
  // to settle, which leaves the contract where it is.
  'forge.contract.created': contractEvent(),
  'forge.contract.activated': contractEvent(),
  'forge.contract.completion_requested': contractEvent(),
  'forge.contract.completed': contractEvent(),
  'forge.contract.cancellation_requested': contractEvent(),
  'forge.contract.cancelled': contractEvent(),
  'forge.contract.disputed': contractEvent(),
  'forge.contract.settlement_refused': contractEvent(),
  'forge.skill.declared': event('forge.skill', skillChange),
  'forge.skill.retracted': event('forge.skill', skillChange),
  'forge.skill.verified': event(
    'forge.skill',
    z.object({ userId: id, certificateId: id, granted: slugs, newlyVerified: slugs }),
  ),
};
