export const CONTRACT_STATUSES = [
  'PENDING_FUNDING',
  'ACTIVE',
  'COMPLETING',
  'COMPLETED',
  'CANCELLING',
  'CANCELLED',
  'DISPUTED',
] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

/**
 * The contract's state machine: where each status may go next. The hire makes a contract PENDING_FUNDING; Mint's
 * answers move it on (escrow held → ACTIVE, funding refused → CANCELLED, paid out → COMPLETED, refunded →
 * CANCELLED); the parties ask for COMPLETING, CANCELLING and DISPUTED. The two -ING states say the money is on its
 * way, so a contract is never COMPLETED before the freelancer is paid. DISPUTED ends here until the dispute
 * service (Arbiter) decides it.
 */
export const TRANSITIONS: Record<ContractStatus, readonly ContractStatus[]> = {
  PENDING_FUNDING: ['ACTIVE', 'CANCELLED'],
  ACTIVE: ['COMPLETING', 'CANCELLING', 'DISPUTED'],
  COMPLETING: ['COMPLETED'],
  CANCELLING: ['CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
  DISPUTED: [],
};

/** The event each move records (topic `forge.contract`); Mint acts on the requests. */
export const EVENT_OF = {
  PENDING_FUNDING: 'forge.contract.created',
  ACTIVE: 'forge.contract.activated',
  COMPLETING: 'forge.contract.completion_requested',
  COMPLETED: 'forge.contract.completed',
  CANCELLING: 'forge.contract.cancellation_requested',
  CANCELLED: 'forge.contract.cancelled',
  DISPUTED: 'forge.contract.disputed',
} as const satisfies Record<ContractStatus, `forge.contract.${string}`>;

export const canMove = (from: ContractStatus, to: ContractStatus): boolean => TRANSITIONS[from].includes(to);
