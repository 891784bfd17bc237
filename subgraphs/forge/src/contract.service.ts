import {
  boundedText,
  conflict,
  DomainError,
  forbidden,
  forUpdate,
  hasRole,
  notFound,
  personId,
  recordEvent,
  type Identity,
  type SqlEntityManager,
} from '@azora/kit';
import { canMove, EVENT_OF, type ContractStatus } from './contract-states';
import { Contract } from './entities/contract.entity';
import { Application, Job } from './entities/job.entity';
import { SOURCE } from './skill.service';

/** What every contract event carries: enough for Mint to move the money and for a feed to show the change. */
const payloadOf = (contract: Contract) => ({
  contractId: contract.id,
  jobId: contract.jobId,
  applicationId: contract.applicationId,
  employerId: contract.employerId,
  freelancerId: contract.freelancerId,
  amount: contract.amount,
  currency: contract.currency,
  status: contract.status,
  reason: contract.statusReason,
});

/**
 * Contracts: the hire, the parties' requests, and Mint's answers, each a move along the state machine
 * (contract-states.ts) made under the contract's lock together with its event.
 */
export class ContractService {
  constructor(private readonly em: SqlEntityManager) {}

  /** The contract, if the caller is a party (or an admin). */
  async visible(caller: Identity, id: string): Promise<Contract | null> {
    const contract = await this.em.findOne(Contract, { id });
    return contract && (this.isParty(caller, contract) || hasRole(caller, 'admin')) ? contract : null;
  }

  /**
   * Hires an applicant: claims the open job and the pending application by conditional updates (of two hires only
   * one can win) and makes the contract, whose event asks Mint to hold the budget. A repeated hire of the same
   * application returns its contract.
   */
  async hire(caller: Identity, applicationId: string): Promise<Contract> {
    const employerId = personId(caller);
    const application = await this.em.findOne(Application, { id: applicationId });
    if (!application) throw notFound('Application', applicationId);
    const job = await this.em.findOneOrFail(Job, { id: application.jobId });
    if (job.posterId !== employerId) throw forbidden("Only the job's poster can hire for it");
    const earlier = await this.liveContractOf(applicationId);
    if (earlier) return earlier;
    try {
      return await this.em.transactional(async (em) => {
        if ((await em.nativeUpdate(Job, { id: job.id, status: 'OPEN' }, { status: 'FILLED' })) === 0)
          throw conflict('This job is already filled');
        if ((await em.nativeUpdate(Application, { id: applicationId, status: 'PENDING' }, { status: 'HIRED' })) === 0) {
          throw conflict('This application was already accepted');
        }
        const contract = em.create(Contract, {
          jobId: job.id,
          applicationId,
          employerId,
          freelancerId: application.applicantId,
          amount: job.budgetAmount,
          currency: job.budgetCurrency,
          status: 'PENDING_FUNDING',
          statusReason: null,
          updatedAt: new Date(),
        });
        await em.flush();
        recordEvent(em, SOURCE, {
          topic: 'forge.job',
          type: 'forge.job.filled',
          payload: { jobId: job.id, applicationId, contractId: contract.id },
        });
        recordEvent(em, SOURCE, {
          topic: 'forge.contract',
          type: EVENT_OF.PENDING_FUNDING,
          payload: payloadOf(contract),
        });
        return contract;
      });
    } catch (error) {
      // A concurrent hire of this very application won: its contract is the answer.
      const winner = error instanceof DomainError ? await this.liveContractOf(applicationId) : null;
      if (winner) return winner;
      throw error;
    }
  }

  /** The employer completes the work: Mint pays the freelancer. Repeating it changes nothing. */
  complete(caller: Identity, id: string): Promise<Contract> {
    return this.request(caller, id, 'COMPLETING', ['COMPLETING', 'COMPLETED'], { employerOnly: true });
  }

  /** Either party cancels: Mint refunds the employer. Repeating it changes nothing. */
  cancel(caller: Identity, id: string, reason?: string | null): Promise<Contract> {
    const why = reason ? boundedText(reason, 'reason', 0, 500) || null : null;
    return this.request(caller, id, 'CANCELLING', ['CANCELLING', 'CANCELLED'], { reason: why });
  }

  /** Either party disputes: the escrow stays held until the dispute is decided. */
  dispute(caller: Identity, id: string, reason: string): Promise<Contract> {
    return this.request(caller, id, 'DISPUTED', ['DISPUTED'], { reason: boundedText(reason, 'reason', 1, 500) });
  }

  // ---- Mint's answers (called by the saga consumer, inside its transaction) ---------------------------------------

  /** The escrow is held: the work can start. */
  funded(id: string): Promise<Contract> {
    return this.transaction(id, (em, contract) => this.move(em, contract, 'ACTIVE'));
  }

  /** Mint could not hold the budget: the hire is undone (job open again, application pending) and nothing is held. */
  fundingRefused(id: string, reason: string): Promise<Contract> {
    return this.transaction(id, async (em, contract) => {
      await this.move(em, contract, 'CANCELLED', `Funding failed: ${reason}`);
      await em.nativeUpdate(Job, { id: contract.jobId, status: 'FILLED' }, { status: 'OPEN' });
      await em.nativeUpdate(Application, { id: contract.applicationId, status: 'HIRED' }, { status: 'PENDING' });
      recordEvent(em, SOURCE, {
        topic: 'forge.job',
        type: 'forge.job.reopened',
        payload: { jobId: contract.jobId, applicationId: contract.applicationId, contractId: contract.id },
      });
      return contract;
    });
  }

  /** The freelancer was paid. */
  paid(id: string): Promise<Contract> {
    return this.transaction(id, (em, contract) => this.move(em, contract, 'COMPLETED'));
  }

  /** The employer was refunded. */
  refunded(id: string): Promise<Contract> {
    return this.transaction(id, (em, contract) => this.move(em, contract, 'CANCELLED'));
  }

  /**
   * Mint refused to pay out or refund (e.g. a frozen account): the money stays safely in escrow and the contract
   * where it is, with the reason shown, until an operator sorts it out.
   */
  settlementRefused(id: string, reason: string): Promise<Contract> {
    return this.transaction(id, async (em, contract) => {
      contract.statusReason = `Mint could not settle: ${reason}`.slice(0, 500);
      contract.updatedAt = new Date();
      recordEvent(em, SOURCE, {
        topic: 'forge.contract',
        type: 'forge.contract.settlement_refused',
        payload: payloadOf(contract),
      });
      return contract;
    });
  }

  // ---- the machinery ---------------------------------------------------------------------------------------------

  private isParty(caller: Identity, contract: Contract): boolean {
    return caller.userId === contract.employerId || caller.userId === contract.freelancerId;
  }

  private liveContractOf(applicationId: string): Promise<Contract | null> {
    return this.em.fork().findOne(Contract, { applicationId, status: { $ne: 'CANCELLED' } });
  }

  /** A party's request: the move, unless the contract is already where the request leads (a repeat is harmless). */
  private request(
    caller: Identity,
    id: string,
    to: ContractStatus,
    alreadyDone: ContractStatus[],
    options: { employerOnly?: boolean; reason?: string | null },
  ): Promise<Contract> {
    const userId = personId(caller);
    return this.transaction(id, async (em, contract) => {
      const allowed = options.employerOnly ? contract.employerId === userId : this.isParty(caller, contract);
      if (!allowed)
        throw forbidden(
          options.employerOnly ? 'Only the employer can do this' : 'Only a party to the contract can do this',
        );
      if (alreadyDone.includes(contract.status)) return contract;
      return this.move(em, contract, to, options.reason);
    });
  }

  /** Runs `work` on the contract, locked, in a transaction (nested in the caller's, when it has one). */
  private transaction(
    id: string,
    work: (em: SqlEntityManager, contract: Contract) => Promise<Contract>,
  ): Promise<Contract> {
    return this.em.transactional(async (em) => {
      const contract = await em.findOne(Contract, { id }, forUpdate(em));
      if (!contract) throw notFound('Contract', id);
      return work(em, contract);
    });
  }

  /** One step along the state machine, with its event; anything else is a CONFLICT naming both ends. */
  private async move(
    em: SqlEntityManager,
    contract: Contract,
    to: ContractStatus,
    reason?: string | null,
  ): Promise<Contract> {
    if (!canMove(contract.status, to)) {
      throw conflict(
        `A ${contract.status.toLowerCase().replace('_', ' ')} contract cannot become ${to.toLowerCase().replace('_', ' ')}`,
      );
    }
    Object.assign(contract, {
      status: to,
      updatedAt: new Date(),
      ...(reason !== undefined ? { statusReason: reason } : {}),
    });
    recordEvent(em, SOURCE, { topic: 'forge.contract', type: EVENT_OF[to], payload: payloadOf(contract) });
    return contract;
  }
}
