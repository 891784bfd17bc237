import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';
import type { ContractStatus } from '../contract-states';

/**
 * A hire: the employer pays the freelancer `amount` through a Mint escrow hold. `status` moves only along the state
 * machine in contract-states.ts, each move a conditional update that also records its event.
 */
export const Contract = defineEntity({
  name: 'Contract',
  tableName: 'contracts',
  properties: {
    id: idProperty(),
    jobId: p.string().length(36).index(),
    applicationId: p.string().length(36).index(),
    employerId: p.string().length(36).index(),
    freelancerId: p.string().length(36).index(),
    amount: p.string().length(24),
    currency: p.string().length(3),
    status: p.string().length(16).$type<ContractStatus>(),
    statusReason: p.string().length(500).nullable(),
    createdAt: createdAtProperty(),
    updatedAt: p.datetime(),
  },
});
export type Contract = InferEntity<typeof Contract>;
