import {
  boundedText,
  conflict,
  DomainError,
  eventStream,
  forbidden,
  forUpdate,
  hasRole,
  notFound,
  personId,
  transaction,
  type SqlEntityManager,
} from '@azora/kit';
import { canMove, EVENT_OF, type ContractStatus } from './contract-states';
import { Contract } from './entities/contract.entity';
import { Application, Job } from './entities/job.entity';
import { contractChangeOf } from './events';
import type { Context } from './schema';

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
  reason: contract.statusReason ?? null,
});

/**
 * Contracts: the hire, the parties' requests, and Mint's answers, each a move along the state machine
 * (contract-states.ts) made under the contract's lock together with its event.
 */
export class ContractService {
  constructor(private readonly ctx: Context) {}

  /** The contract, if the caller is a party (or an admin, who may see any contract). */
  async visible(id: string): Promise<Contract | null> {
    const contract = await this.ctx.em.findOne(Contract, { id });
    return contract && (this.isParty(contract) || hasRole(this.ctx.identity, 'admin')) ? contract : null;
  }

  /** The application's contract: the newest (one whose funding failed may have a cancelled one before it). */
  async ofApplication(application: Application): Promise<Contract | null> {
    return (await this.ctx.loaders.contractsByApplication.load(application.id))[0] ?? null;
  }

  /** A person's contracts, as employer or freelancer, newest first (the shield lets only them and admins see). */
  async ofParty(userId: string): Promise<Contract[]> {
    return (await this.ctx.loaders.contractsByParty.load(userId)).map((entry) => entry.contract);
  }

  /** What the contract pays, as the schema's `Money`. */
  amountOf(contract: Contract): { amount: string; currency: string } {
    return { amount: contract.amount, currency: contract.currency };
  }

  /**
   * The caller's contracts as they change (`Subscription.contractUpdates`): each event of a contract the caller is a
   * party to, with the contract read afresh, so the shield judges the row as it is when delivered.
   */
  updates(): AsyncIterableIterator<Contract> {
    const userId = personId(this.ctx.identity, 'Only a party to a contract sees its updates');
    const { bus, em } = this.ctx;
    return eventStream(bus, ['forge.contract'], async (event) => {
      const change = contractChangeOf(event);
      if (!change || (change.employerId !== userId && change.freelancerId !== userId)) return undefined;
      return (await em.fork().findOne(Contract, { id: change.contractId })) ?? undefined;
    });
  }

  /**
   * Hires an applicant: claims the open job and the pending application by conditional updates (of two hires only
   * one can win) and makes the contract, whose event asks Mint to hold the budget. A repeated hire of the same
   * application returns its contract.
   */
  async hire(applicationId: string): Promise<Contract> {
    const employerId = personId(this.ctx.identity);
    const application = await this.ctx.em.findOne(Application, { id: applicationId });
    if (!application) throw notFound('Application', applicationId);
    const job = await this.ctx.em.findOneOrFail(Job, { id: application.jobId });
    if (job.posterId !== employerId) throw forbidden("Only the job's poster can hire for it");
    const earlier = await this.liveContractOf(applicationId);
    if (earlier) return earlier;
    try {
      return await transaction(this.ctx.em, async (em) => {
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
        this.ctx.events.record('forge.job.filled', { jobId: job.id, applicationId, contractId: contract.id });
        this.ctx.events.record(EVENT_OF.PENDING_FUNDING, payloadOf(contract));
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
  complete(id: string): Promise<Contract> {
    return this.request(id, 'COMPLETING', ['COMPLETING', 'COMPLETED'], { employerOnly: true });
  }

  /** Either party cancels: Mint refunds the employer. Repeating it changes nothing. */
  cancel(id: string, reason?: string | null): Promise<Contract> {
    const why = reason ? boundedText(reason, 'reason', 0, 500) || null : null;
    return this.request(id, 'CANCELLING', ['CANCELLING', 'CANCELLED'], { reason: why });
  }

  /** Either party disputes: the escrow stays held until the dispute is decided. */
  dispute(id: string, reason: string): Promise<Contract> {
    return this.request(id, 'DISPUTED', ['DISPUTED'], { reason: boundedText(reason, 'reason', 1, 500) });
  }

  // ---- Mint's answers (called by the saga consumer, inside its transaction) ---------------------------------------

  /** The escrow is held: the work can start. */
  funded(id: string): Promise<Contract> {
    return this.locked(id, (contract) => this.move(contract, 'ACTIVE'));
  }

  /** Mint could not hold the budget: the hire is undone (job open again, application pending) and nothing is held. */
  fundingRefused(id: string, reason: string): Promise<Contract> {
    return this.locked(id, async (contract, em) => {
      await this.move(contract, 'CANCELLED', `Funding failed: ${reason}`);
      await em.nativeUpdate(Job, { id: contract.jobId, status: 'FILLED' }, { status: 'OPEN' });
      await em.nativeUpdate(Application, { id: contract.applicationId, status: 'HIRED' }, { status: 'PENDING' });
      this.ctx.events.record('forge.job.reopened', {
        jobId: contract.jobId,
        applicationId: contract.applicationId,
        contractId: contract.id,
      });
      return contract;
    });
  }

  /** The freelancer was paid. */
  paid(id: string): Promise<Contract> {
    return this.locked(id, (contract) => this.move(contract, 'COMPLETED'));
  }

  /** The employer was refunded. */
  refunded(id: string): Promise<Contract> {
    return this.locked(id, (contract) => this.move(contract, 'CANCELLED'));
  }

  /**
   * Mint refused to pay out or refund (e.g. a frozen account): the money stays safely in escrow and the contract
   * where it is, with the reason shown, until an operator sorts it out.
   */
  settlementRefused(id: string, reason: string): Promise<Contract> {
    return this.locked(id, async (contract) => {
      contract.statusReason = `Mint could not settle: ${reason}`.slice(0, 500);
      contract.updatedAt = new Date();
      this.ctx.events.record('forge.contract.settlement_refused', payloadOf(contract));
      return contract;
    });
  }

  // ---- the machinery ---------------------------------------------------------------------------------------------

  private isParty(contract: Contract): boolean {
    const { userId } = this.ctx.identity;
    return userId === contract.employerId || userId === contract.freelancerId;
  }

  private liveContractOf(applicationId: string): Promise<Contract | null> {
    return this.ctx.em.fork().findOne(Contract, { applicationId, status: { $ne: 'CANCELLED' } });
  }

  /** A party's request: the move, unless the contract is already where the request leads (a repeat is harmless). */
  private request(
    id: string,
    to: ContractStatus,
    alreadyDone: ContractStatus[],
    options: { employerOnly?: boolean; reason?: string | null },
  ): Promise<Contract> {
    const userId = personId(this.ctx.identity);
    return this.locked(id, async (contract) => {
      const allowed = options.employerOnly ? contract.employerId === userId : this.isParty(contract);
      if (!allowed)
        throw forbidden(
          options.employerOnly ? 'Only the employer can do this' : 'Only a party to the contract can do this',
        );
      if (alreadyDone.includes(contract.status)) return contract;
      return this.move(contract, to, options.reason);
    });
  }

  /** Runs `work` on the contract, locked, in a transaction (joining the caller's, when it has one). */
  private locked(id: string, work: (contract: Contract, em: SqlEntityManager) => Promise<Contract>): Promise<Contract> {
    return transaction(this.ctx.em, async (em) => {
      const contract = await em.findOne(Contract, { id }, forUpdate(em));
      if (!contract) throw notFound('Contract', id);
      return work(contract, em);
    });
  }

  /** One step along the state machine, with its event; anything else is a CONFLICT naming both ends. */
  private async move(contract: Contract, to: ContractStatus, reason?: string | null): Promise<Contract> {
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
    this.ctx.events.record(EVENT_OF[to], payloadOf(contract));
    return contract;
  }
}
