import type { ApplicationFieldsFragment } from '@azora/sdk';

/** Where an application stands, in words; a hire says how its contract is doing. */
export function applicationStatusName(application: Pick<ApplicationFieldsFragment, 'status' | 'contract'>): string {
  if (application.status === 'PENDING') return 'Waiting for the employer';
  const contract = application.contract?.status;
  switch (contract) {
    case 'PENDING_FUNDING':
      return 'Hired: funding the contract';
    case 'ACTIVE':
      return 'Hired: contract active';
    case 'COMPLETING':
    case 'COMPLETED':
      return 'Hired: contract completed';
    case 'CANCELLING':
    case 'CANCELLED':
      return 'Hired: contract cancelled';
    case 'DISPUTED':
      return 'Hired: contract disputed';
    default:
      return 'Hired';
  }
}
