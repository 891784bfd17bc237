import { GraphQLError } from 'graphql';
import { newId, OutboxEvent, type Identity, type Orm, type SqlEntityManager } from '@azora/kit';
import { codeOf, scratchOrm } from '@azora/testing';
import { CONTRACT_STATUSES, EVENT_OF, TRANSITIONS, canMove } from '../src/contract-states';
import { ContractService } from '../src/contract.service';
import { Application, Job } from '../src/entities/job.entity';
import { SkillGrant, UserSkill } from '../src/entities/skill.entity';
import { JobService, parseBudget } from '../src/job.service';
import { SkillService, skillName } from '../src/skill.service';
import { forge } from '../src/schema';

const person = (userId: string, roles: string[] = []): Identity => ({ kind: 'user', userId, roles, scopes: [] });

describe('the contract state machine', () => {
  it('ends in COMPLETED, CANCELLED or DISPUTED, and reaches each from PENDING_FUNDING', () => {
    const terminal = CONTRACT_STATUSES.filter((s) => TRANSITIONS[s].length === 0);
    expect(terminal.sort()).toEqual(['CANCELLED', 'COMPLETED', 'DISPUTED']);
    const reached = new Set(['PENDING_FUNDING']);
    for (let grew = true; grew;) {
      const before = reached.size;
      for (const from of [...reached]) for (const to of TRANSITIONS[from as keyof typeof TRANSITIONS]) reached.add(to);
      grew = reached.size > before;
    }
    expect([...reached].sort()).toEqual([...CONTRACT_STATUSES].sort());
    expect(new Set(Object.values(EVENT_OF)).size).toBe(CONTRACT_STATUSES.length);
  });

  it('never completes without passing through the payment, nor cancels a completed contract', () => {
    expect(canMove('ACTIVE', 'COMPLETED')).toBe(false);
    expect(canMove('PENDING_FUNDING', 'COMPLETING')).toBe(false);
    expect(canMove('COMPLETED', 'CANCELLING')).toBe(false);
    expect(canMove('COMPLETING', 'CANCELLING')).toBe(false);
    expect(canMove('DISPUTED', 'COMPLETING')).toBe(false);
    expect(canMove('ACTIVE', 'COMPLETING')).toBe(true);
  });
});

describe('budgets and skill names', () => {
  it('accepts positive amounts with at most two decimals and ISO-4217 codes', () => {
    expect(parseBudget({ amount: '250.5', currency: 'USD' })).toEqual({ amount: '250.5', currency: 'USD' });
    for (const amount of ['0', '0.00', '-1', '1.234', '1e3', '01', '', 'NaN']) {
      expect(() => parseBudget({ amount, currency: 'USD' })).toThrow(GraphQLError);
    }
    expect(() => parseBudget({ amount: '1', currency: 'usd' })).toThrow(GraphQLError);
  });

  it('names well-known skills properly and others after their words', () => {
    expect(skillName('typescript')).toBe('TypeScript');
    expect(skillName('quantum-knitting')).toBe('Quantum knitting');
  });
});

describe('Forge services (SQLite)', () => {
  let orm: Orm;
  let drop: () => Promise<void>;
  const em = () => orm.em.fork() as SqlEntityManager;
  const contracts = () => new ContractService(em());
  const events = async (contractId: string) =>
    (await em().find(OutboxEvent, { topic: 'forge.contract' }, { orderBy: { id: 'asc' } }))
      .filter((e) => e.payload.contractId === contractId)
      .map((e) => e.type);

  beforeAll(async () => {
    ({ orm, drop } = await scratchOrm(forge));
  });
  afterAll(() => drop?.());

  async function application() {
    const employer = person(newId(), ['employer']);
    const freelancer = person(newId());
    const job = await new JobService(em()).post(employer, {
      title: 'Build it',
      description: 'Well.',
      skills: ['go'],
      budget: { amount: '80.00', currency: 'EUR' },
    });
    const applied = await new JobService(em()).apply(freelancer, job.id, 'Me');
    return { employer, freelancer, jobId: job.id, applicationId: applied.id };
  }

  it('hires once, for the poster only, filling the job and asking Mint for the escrow', async () => {
    const { employer, freelancer, jobId, applicationId } = await application();
    expect(await codeOf(contracts().hire(freelancer, applicationId))).toBe('FORBIDDEN');
    const contract = await contracts().hire(employer, applicationId);
    expect(contract).toMatchObject({
      status: 'PENDING_FUNDING',
      amount: '80.00',
      currency: 'EUR',
      freelancerId: freelancer.userId,
    });
    expect((await contracts().hire(employer, applicationId)).id).toBe(contract.id);
    expect((await em().findOneOrFail(Job, { id: jobId })).status).toBe('FILLED');
    expect((await em().findOneOrFail(Application, { id: applicationId })).status).toBe('HIRED');
    expect(await events(contract.id)).toEqual(['forge.contract.created']);
    const [created] = await em().find(
      OutboxEvent,
      { type: 'forge.contract.created' },
      { orderBy: { id: 'desc' }, limit: 1 },
    );
    expect(created!.payload).toMatchObject({
      contractId: contract.id,
      employerId: employer.userId,
      freelancerId: freelancer.userId,
      amount: '80.00',
      currency: 'EUR',
    });
  });

  it('undoes the hire when funding is refused: the job opens again and nothing else can move the contract', async () => {
    const { employer, jobId, applicationId } = await application();
    const contract = await contracts().hire(employer, applicationId);
    const cancelled = await contracts().fundingRefused(contract.id, 'The account does not have enough money for this');
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      statusReason: 'Funding failed: The account does not have enough money for this',
    });
    expect((await em().findOneOrFail(Job, { id: jobId })).status).toBe('OPEN');
    expect((await em().findOneOrFail(Application, { id: applicationId })).status).toBe('PENDING');
    expect(await codeOf(contracts().funded(contract.id))).toBe('CONFLICT');
    expect(await codeOf(contracts().complete(employer, contract.id))).toBe('CONFLICT');
    expect(await events(contract.id)).toEqual(['forge.contract.created', 'forge.contract.cancelled']);
    const reopened = await em().find(OutboxEvent, { type: 'forge.job.reopened' });
    expect(reopened.map((e) => e.payload)).toContainEqual({ jobId, applicationId, contractId: contract.id });
  });

  it('completes for the employer only, once, and only after the escrow is held', async () => {
    const { employer, freelancer, applicationId } = await application();
    const { id } = await contracts().hire(employer, applicationId);
    expect(await codeOf(contracts().complete(employer, id))).toBe('CONFLICT');
    await contracts().funded(id);
    expect(await codeOf(contracts().complete(freelancer, id))).toBe('FORBIDDEN');
    expect(await codeOf(contracts().complete(person(newId(), ['employer']), id))).toBe('FORBIDDEN');
    expect((await contracts().complete(employer, id)).status).toBe('COMPLETING');
    expect((await contracts().complete(employer, id)).status).toBe('COMPLETING');
    expect(await codeOf(contracts().cancel(freelancer, id))).toBe('CONFLICT');
    expect((await contracts().paid(id)).status).toBe('COMPLETED');
    expect(await codeOf(contracts().paid(id))).toBe('CONFLICT');
    expect(await events(id)).toEqual([
      'forge.contract.created',
      'forge.contract.activated',
      'forge.contract.completion_requested',
      'forge.contract.completed',
    ]);
  });

  it('cancels for either party, and keeps the status when Mint cannot settle', async () => {
    const { employer, freelancer, applicationId } = await application();
    const { id } = await contracts().hire(employer, applicationId);
    await contracts().funded(id);
    expect(await codeOf(contracts().cancel(person(newId()), id))).toBe('FORBIDDEN');
    expect((await contracts().cancel(freelancer, id, '  Sick  ')).statusReason).toBe('Sick');
    const stuck = await contracts().settlementRefused(id, 'Account is frozen');
    expect(stuck).toMatchObject({ status: 'CANCELLING', statusReason: 'Mint could not settle: Account is frozen' });
    expect((await contracts().refunded(id)).status).toBe('CANCELLED');
  });

  it('verifies certificate skills on the profile: declared ones become verified, verified ones stay', async () => {
    const learner = person(newId());
    const skills = new SkillService(em());
    await skills.declare(learner, 'rust');
    await new SkillService(em()).grant({
      certificateId: 'cert-1',
      learnerId: learner.userId!,
      skills: ['rust', 'wasm'],
    });
    await new SkillService(em()).grant({ certificateId: 'cert-2', learnerId: learner.userId!, skills: ['wasm'] });
    const profile = await em().find(UserSkill, { userId: learner.userId! }, { orderBy: { skillSlug: 'asc' } });
    expect(profile.map((s) => [s.skillSlug, s.source, s.certificateId])).toEqual([
      ['rust', 'VERIFIED', 'cert-1'],
      ['wasm', 'VERIFIED', 'cert-1'],
    ]);
    expect(await em().count(SkillGrant, { userId: learner.userId! })).toBe(3);
    expect(await new SkillService(em()).retract(learner, 'rust')).toBe(false);
    expect((await new SkillService(em()).declare(learner, 'wasm')).source).toBe('VERIFIED');
  });
});
