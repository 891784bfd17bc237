import { GraphQLError } from 'graphql';
import {
  consumeOnce,
  createLogger,
  InProcessEventBus,
  newId,
  OutboxEvent,
  requestContext,
  toDomainEvent,
  type DomainEvent,
  type Identity,
  type Orm,
  type SqlEntityManager,
} from '@azora/kit';
import { codeOf, scratchOrm } from '@azora/testing';
import { FORGE_ITSELF } from '../src/consumers';
import { CONTRACT_STATUSES, EVENT_OF, TRANSITIONS, canMove } from '../src/contract-states';
import { Contract } from '../src/entities/contract.entity';
import { Application, Job } from '../src/entities/job.entity';
import { SkillGrant, UserSkill } from '../src/entities/skill.entity';
import { parseBudget } from '../src/job.service';
import { skillName } from '../src/skill.service';
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
  const bus = new InProcessEventBus();
  /** The services as one request of this caller sees them. */
  const as = (identity: Identity) => requestContext(forge, { em: em(), identity, bus }).services;
  /** Mint's answers arrive through the saga consumer, which acts as Forge itself. */
  const saga = () => as(FORGE_ITSELF).contracts;
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
    const job = await as(employer).jobs.post({
      title: 'Build it',
      description: 'Well.',
      skills: ['go'],
      budget: { amount: '80.00', currency: 'EUR' },
    });
    const applied = await as(freelancer).jobs.apply(job.id, 'Me');
    return { employer, freelancer, jobId: job.id, applicationId: applied.id };
  }

  it('hires once, for the poster only, filling the job and asking Mint for the escrow', async () => {
    const { employer, freelancer, jobId, applicationId } = await application();
    expect(await codeOf(as(freelancer).contracts.hire(applicationId))).toBe('FORBIDDEN');
    const contract = await as(employer).contracts.hire(applicationId);
    expect(contract).toMatchObject({
      status: 'PENDING_FUNDING',
      amount: '80.00',
      currency: 'EUR',
      freelancerId: freelancer.userId,
    });
    expect((await as(employer).contracts.hire(applicationId)).id).toBe(contract.id);
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
    const contract = await as(employer).contracts.hire(applicationId);
    const cancelled = await saga().fundingRefused(contract.id, 'The account does not have enough money for this');
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      statusReason: 'Funding failed: The account does not have enough money for this',
    });
    expect((await em().findOneOrFail(Job, { id: jobId })).status).toBe('OPEN');
    expect((await em().findOneOrFail(Application, { id: applicationId })).status).toBe('PENDING');
    expect(await codeOf(saga().funded(contract.id))).toBe('CONFLICT');
    expect(await codeOf(as(employer).contracts.complete(contract.id))).toBe('CONFLICT');
    expect(await events(contract.id)).toEqual(['forge.contract.created', 'forge.contract.cancelled']);
    const reopened = await em().find(OutboxEvent, { type: 'forge.job.reopened' });
    expect(reopened.map((e) => e.payload)).toContainEqual({ jobId, applicationId, contractId: contract.id });
  });

  it('completes for the employer only, once, and only after the escrow is held', async () => {
    const { employer, freelancer, applicationId } = await application();
    const { id } = await as(employer).contracts.hire(applicationId);
    expect(await codeOf(as(employer).contracts.complete(id))).toBe('CONFLICT');
    await saga().funded(id);
    expect(await codeOf(as(freelancer).contracts.complete(id))).toBe('FORBIDDEN');
    expect(await codeOf(as(person(newId(), ['employer'])).contracts.complete(id))).toBe('FORBIDDEN');
    expect((await as(employer).contracts.complete(id)).status).toBe('COMPLETING');
    expect((await as(employer).contracts.complete(id)).status).toBe('COMPLETING');
    expect(await codeOf(as(freelancer).contracts.cancel(id))).toBe('CONFLICT');
    expect((await saga().paid(id)).status).toBe('COMPLETED');
    expect(await codeOf(saga().paid(id))).toBe('CONFLICT');
    expect(await events(id)).toEqual([
      'forge.contract.created',
      'forge.contract.activated',
      'forge.contract.completion_requested',
      'forge.contract.completed',
    ]);
  });

  it('cancels for either party, and keeps the status when Mint cannot settle', async () => {
    const { employer, freelancer, applicationId } = await application();
    const { id } = await as(employer).contracts.hire(applicationId);
    await saga().funded(id);
    expect(await codeOf(as(person(newId())).contracts.cancel(id))).toBe('FORBIDDEN');
    expect((await as(freelancer).contracts.cancel(id, '  Sick  ')).statusReason).toBe('Sick');
    const stuck = await saga().settlementRefused(id, 'Account is frozen');
    expect(stuck).toMatchObject({ status: 'CANCELLING', statusReason: 'Mint could not settle: Account is frozen' });
    expect((await saga().refunded(id)).status).toBe('CANCELLED');
  });

  it('verifies certificate skills on the profile: declared ones become verified, verified ones stay', async () => {
    const learner = person(newId());
    await as(learner).skills.declare('rust');
    await as(FORGE_ITSELF).skills.grant({
      certificateId: 'cert-1',
      learnerId: learner.userId!,
      skills: ['rust', 'wasm'],
    });
    await as(FORGE_ITSELF).skills.grant({ certificateId: 'cert-2', learnerId: learner.userId!, skills: ['wasm'] });
    const profile = await em().find(UserSkill, { userId: learner.userId! }, { orderBy: { skillSlug: 'asc' } });
    expect(profile.map((s) => [s.skillSlug, s.source, s.certificateId])).toEqual([
      ['rust', 'VERIFIED', 'cert-1'],
      ['wasm', 'VERIFIED', 'cert-1'],
    ]);
    expect(await em().count(SkillGrant, { userId: learner.userId! })).toBe(3);
    expect(await as(learner).skills.retract('rust')).toBe(false);
    expect((await as(learner).skills.declare('wasm')).source).toBe('VERIFIED');
  });

  /** Publishes what the services recorded of one type for one id, as the outbox relay would. */
  async function publish(type: string, key: string, value: string) {
    const rows = await em().find(OutboxEvent, { type }, { orderBy: { id: 'asc' } });
    for (const row of rows.filter((e) => e.payload[key] === value)) await bus.publish(toDomainEvent(row));
  }

  it("streams each party's contract changes to them, and skips other people's contracts", async () => {
    const mine = await application();
    const theirs = await application();
    expect(await codeOf(Promise.resolve().then(() => as(FORGE_ITSELF).contracts.updates()))).toBe('FORBIDDEN');
    const updates = as(mine.freelancer).contracts.updates();
    try {
      const other = await as(theirs.employer).contracts.hire(theirs.applicationId);
      const contract = await as(mine.employer).contracts.hire(mine.applicationId);
      await publish('forge.contract.created', 'contractId', other.id);
      await publish('forge.contract.created', 'contractId', contract.id);
      // The other contract's event came first: the stream passed over it.
      expect((await updates.next()).value).toMatchObject({ id: contract.id, status: 'PENDING_FUNDING' });
    } finally {
      await updates.return?.();
    }
  });

  it("streams a job's new applications to its poster (or an admin), and no other job's", async () => {
    const { employer, jobId } = await application();
    const other = await application();
    expect(await codeOf(as(person(newId(), ['employer'])).jobs.applicationsLive(jobId))).toBe('FORBIDDEN');
    expect(await codeOf(as(employer).jobs.applicationsLive(newId()))).toBe('NOT_FOUND');
    await (await as(person(newId(), ['admin'])).jobs.applicationsLive(jobId)).return?.();
    const live = await as(employer).jobs.applicationsLive(jobId);
    try {
      const applicant = person(newId());
      const elsewhere = await as(applicant).jobs.apply(other.jobId, 'Elsewhere');
      const here = await as(applicant).jobs.apply(jobId, 'Here');
      await publish('forge.application.submitted', 'applicationId', elsewhere.id);
      await publish('forge.application.submitted', 'applicationId', here.id);
      expect((await live.next()).value).toMatchObject({ id: here.id, pitch: 'Here' });
    } finally {
      await live.return?.();
    }
  });

  const log = createLogger('forge-test');
  const consumer = (name: string) => forge.consumers!.find((c) => c.name === name)!;
  const delivered = (topic: string, type: string, payload: Record<string, unknown>): DomainEvent => ({
    id: newId(),
    topic,
    type,
    source: topic.split('.')[0]!,
    payload,
    occurredAt: new Date().toISOString(),
  });

  it("verifies skills from LMS's certificates read with LMS's schema, once per event, skipping unreadable ones", async () => {
    const learner = newId();
    const certificateId = newId();
    const issued = delivered('lms.certificate', 'lms.certificate.issued', {
      certificateId,
      code: 'AZ-7K2M-Q9XD-4TPW',
      learnerId: learner,
      courseId: newId(),
      courseTitle: 'Go, gently',
      skills: ['go'],
    });
    expect(await consumeOnce(orm, consumer('forge.skills'), issued, log)).toBe(true);
    expect(await consumeOnce(orm, consumer('forge.skills'), issued, log)).toBe(false);
    expect(await em().count(SkillGrant, { certificateId })).toBe(1);
    // LMS's schema requires the code: a payload without one is not an issued certificate this version can read.
    const { code: _code, ...unreadable } = issued.payload;
    const stranger = newId();
    const skipped = delivered('lms.certificate', 'lms.certificate.issued', { ...unreadable, learnerId: stranger });
    expect(await consumeOnce(orm, consumer('forge.skills'), skipped, log)).toBe(true);
    expect(await em().count(UserSkill, { userId: stranger })).toBe(0);
  });

  it("moves a contract on Mint's answer once, and drops an answer that no longer fits", async () => {
    const { employer, applicationId } = await application();
    const { id } = await as(employer).contracts.hire(applicationId);
    // Mint's whole payloads: Forge reads them with Mint's own schemas.
    const placed = delivered('mint.hold', 'mint.hold.placed', {
      contractId: id,
      holdId: newId(),
      amount: '250.00',
      currency: 'USD',
      payeeAccountId: null,
    });
    expect(await consumeOnce(orm, consumer('forge.contract-saga'), placed, log)).toBe(true);
    expect(await consumeOnce(orm, consumer('forge.contract-saga'), placed, log)).toBe(false);
    const late = delivered('mint.hold', 'mint.hold.failed', {
      contractId: id,
      step: 'place',
      code: 'INSUFFICIENT_FUNDS',
      reason: 'Too late',
    });
    expect(await consumeOnce(orm, consumer('forge.contract-saga'), late, log)).toBe(true);
    expect(await em().findOneOrFail(Contract, { id })).toMatchObject({ status: 'ACTIVE', statusReason: null });
    expect(await events(id)).toEqual(['forge.contract.created', 'forge.contract.activated']);
  });
});
