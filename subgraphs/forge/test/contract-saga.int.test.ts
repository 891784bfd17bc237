import { OutboxEvent, type SqlEntityManager } from '@azora/kit';
import { Hold } from '../../mint/src/entities/hold.entity';
import { contractEscrows } from '../../mint/src/escrow';
import {
  balancesOf,
  CONTRACT_FIELDS,
  contractOf,
  contractReaches,
  deposit,
  fundedAccount,
  hire,
  jobWithApplicant,
  ok,
  publishedCourse,
  refused,
  startPlatform,
  testDialects,
  type Platform,
  type SignedIn,
  until,
} from '@azora/testing';

const ENROLL = 'mutation($c: ID!) { enroll(courseId: $c) { id progress } }';
const COMPLETE_LESSON = `mutation($l: ID!) {
  completeLesson(lessonId: $l) { progress completedAt certificate { id code skills { slug } } }
}`;
const VERIFY = `query($code: String!) {
  verifyCertificate(code: $code) { id learner { id displayName } course { title } skills { slug name } skillsGranted { slug } }
}`;
const SKILLS_OF =
  'query($id: ID!) { user(id: $id) { skills { verified source skill { slug name } certificate { id code } } } }';
const COMPLETE = `mutation($id: ID!) { completeContract(contractId: $id) { ${CONTRACT_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelContract(contractId: $id, reason: "Plans changed") { ${CONTRACT_FIELDS} } }`;
const DISPUTE = `mutation($id: ID!) { disputeContract(contractId: $id, reason: "Not delivered") { ${CONTRACT_FIELDS} } }`;
const JOB = 'query($id: ID!) { job(id: $id) { status applications { status contract { id status } } } }';
const REPORT = 'query { ledgerReport(currency: "USD") { balanced escrow { amount } problems { problem } } }';

/** The event types a subgraph wrote to its outbox since `since` (an event id), once they are all published. */
async function outboxTypes(platform: Platform, subgraph: string, since: string): Promise<string[]> {
  const em = platform.subgraphs[subgraph]!.orm.em.fork() as SqlEntityManager;
  return until(
    `${subgraph}'s outbox is published`,
    async () => {
      const rows = await em.find(OutboxEvent, { id: { $gt: since } }, { orderBy: { id: 'asc' } });
      return rows.every((row) => row.publishedAt) ? rows.map((row) => row.type) : null;
    },
    15_000,
  );
}

/** The newest outbox id of every subgraph: events after it belong to the test that asked. */
async function outboxMarks(platform: Platform): Promise<Record<string, string>> {
  const marks: Record<string, string> = {};
  for (const [name, subgraph] of Object.entries(platform.subgraphs)) {
    const [last] = await (subgraph.orm.em.fork() as SqlEntityManager).find(
      OutboxEvent,
      {},
      { orderBy: { id: 'desc' }, limit: 1 },
    );
    marks[name] = last?.id ?? '';
  }
  return marks;
}

describe.each(testDialects())('learn → prove → earn through the router on %s', (dialect) => {
  let platform: Platform;
  let faculty: SignedIn;
  let treasury: SignedIn;
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'nexus', 'lms', 'forge'] });
    faculty = await platform.userWithRoles(['faculty'], 'grace');
    treasury = await platform.userWithRoles(['treasury'], 'treasurer');
  });
  afterAll(() => platform?.stop());

  /** A learner certified in `skill`, and an employer with `funds` USD, with an application of the one to a job of the other. */
  async function hiringSetUp(skill: string, funds: string, budget = '250.00') {
    const learner = await platform.signUp('learner');
    const employer = await platform.userWithRoles(['employer'], 'employer');
    const accountId = funds === '0' ? null : await fundedAccount(platform, employer, funds);
    const { jobId, applicationId } = await jobWithApplicant(platform, employer, learner, [skill], {
      amount: budget,
      currency: 'USD',
    });
    return { learner, employer, accountId, jobId, applicationId };
  }

  it('walks the whole story: course, certificate, verified skill, job, hire, escrow, completion, payment', async () => {
    const marks = await outboxMarks(platform);
    // 1. Faculty publishes a course teaching typescript.
    const { courseId, lessonIds } = await publishedCourse(platform, faculty, ['typescript']);

    // 2. A learner enrolls, completes it and gets a certificate; Forge verifies the skill on their profile.
    const learner = await platform.signUp('learner');
    expect((await ok(platform, ENROLL, { c: courseId }, learner)).enroll.progress).toBe(0);
    const halfway = await ok(platform, COMPLETE_LESSON, { l: lessonIds[0] }, learner);
    expect(halfway.completeLesson).toEqual({ progress: 0.5, completedAt: null, certificate: null });
    const done = (await ok(platform, COMPLETE_LESSON, { l: lessonIds[1] }, learner)).completeLesson;
    expect(done.progress).toBe(1);
    expect(done.certificate.skills).toEqual([{ slug: 'typescript' }]);
    const verified = await until(
      'typescript is verified',
      async () => {
        const { user } = await ok(platform, SKILLS_OF, { id: learner.userId }, learner);
        return user.skills.find((s: any) => s.skill.slug === 'typescript' && s.verified) ?? null;
      },
      15_000,
    );
    expect(verified).toEqual({
      verified: true,
      source: 'VERIFIED',
      skill: { slug: 'typescript', name: 'TypeScript' },
      certificate: done.certificate && { id: done.certificate.id, code: done.certificate.code },
    });
    // Anyone can check the certificate, and see what it granted.
    const check = (await ok(platform, VERIFY, { code: done.certificate.code.toLowerCase() }, null)).verifyCertificate;
    expect(check).toMatchObject({
      id: done.certificate.id,
      learner: { id: learner.userId },
      skills: [{ slug: 'typescript', name: 'TypeScript' }],
      skillsGranted: [{ slug: 'typescript' }],
    });

    // 3. An employer with 1,000.00 USD posts a job needing typescript, paid in USD.
    const employer = await platform.userWithRoles(['employer'], 'employer');
    await fundedAccount(platform, employer, '1000.00');
    // The freelancer already has some money: their balance rises by the budget.
    await fundedAccount(platform, learner, '10.00');
    const { applicationId } = await jobWithApplicant(platform, employer, learner, ['typescript']);

    // 4. The learner is hired: the hold appears in Mint, and the escrow shows on the contract for both parties.
    const contractId = await hire(platform, employer, applicationId);
    const active = await contractReaches(platform, employer, contractId, 'ACTIVE');
    expect(active.escrow).toEqual({ amount: { amount: '250.00', currency: 'USD' }, status: 'ACTIVE' });
    expect((await contractOf(platform, learner, contractId)).escrow).toEqual(active.escrow);
    expect(await balancesOf(platform, employer)).toEqual(['750.00']);
    expect((await ok(platform, REPORT, {}, treasury)).ledgerReport.escrow.amount).not.toBe('0.00');

    // 5. The employer completes the contract: the freelancer is paid the budget.
    const completing = (await ok(platform, COMPLETE, { id: contractId }, employer)).completeContract;
    expect(['COMPLETING', 'COMPLETED']).toContain(completing.status);
    const completed = await contractReaches(platform, learner, contractId, 'COMPLETED');
    expect(completed.escrow.status).toBe('RELEASED');
    expect(await balancesOf(platform, learner)).toEqual(['260.00']);
    expect(await balancesOf(platform, employer)).toEqual(['750.00']);

    // 6. The ledger balances, and every step left its event in its subgraph's outbox, published.
    expect((await ok(platform, REPORT, {}, treasury)).ledgerReport).toMatchObject({ balanced: true, problems: [] });
    expect(await outboxTypes(platform, 'lms', marks.lms!)).toEqual(
      expect.arrayContaining([
        'lms.course.created',
        'lms.course.published',
        'lms.enrollment.created',
        'lms.lesson.completed',
        'lms.enrollment.completed',
        'lms.certificate.issued',
      ]),
    );
    expect(await outboxTypes(platform, 'forge', marks.forge!)).toEqual([
      'forge.skill.verified',
      'forge.job.posted',
      'forge.application.submitted',
      'forge.job.filled',
      'forge.contract.created',
      'forge.contract.activated',
      'forge.contract.completion_requested',
      'forge.contract.completed',
    ]);
    expect((await outboxTypes(platform, 'mint', marks.mint!)).filter((t) => t.startsWith('mint.hold'))).toEqual([
      'mint.hold.placed',
      'mint.hold.released',
    ]);
    // …and every one of them reached Nexus, the durable log, once.
    const logged = await until(
      'the contract events are in Nexus',
      async () => {
        const { events } = await ok(
          platform,
          '{ events(topic: "forge.contract", first: 100) { edges { node { type payload } } } }',
          {},
          await platform.admin(),
        );
        const types = events.edges
          .filter((e: any) => e.node.payload.contractId === contractId)
          .map((e: any) => e.node.type);
        return types.includes('forge.contract.completed') ? types : null;
      },
      15_000,
    );
    expect(logged).toEqual([
      'forge.contract.created',
      'forge.contract.activated',
      'forge.contract.completion_requested',
      'forge.contract.completed',
    ]);
  });

  /** The escrow hold Mint placed for a contract, read from Mint's own database. */
  async function mintEscrow(contractId: string): Promise<Hold | undefined> {
    const [escrow] = await contractEscrows(platform.subgraphs.mint!.orm.em.fork() as SqlEntityManager, [contractId]);
    return escrow?.hold;
  }

  /** Whether the subgraph has an unpublished event of this type about this contract. */
  async function waitingEvent(subgraph: string, type: string, contractId: string): Promise<boolean> {
    const rows = await (platform.subgraphs[subgraph]!.orm.em.fork() as SqlEntityManager).find(OutboxEvent, {
      type,
      publishedAt: null,
    });
    return rows.some((row) => row.payload.contractId === contractId);
  }

  it('completes the saga when Forge restarts between the hire and the funding answer', async () => {
    const { learner, employer, applicationId } = await hiringSetUp('restart-forge', '400.00');
    // Mint's relay is held while Forge goes down, so Mint's answer cannot reach Forge before it has stopped (on a slow
    // machine Forge's stop could otherwise still be draining requests when the answer arrives).
    const mintRelay = platform.subgraphs.mint!.relay;
    await mintRelay.stop();
    const contractId = await hire(platform, employer, applicationId);
    // Forge's relay hands the hire's event to Mint (at the latest on its way down); Mint holds the money, and its
    // answer waits in Mint's outbox because nobody in Forge's consumer group is there to take it.
    await platform.stopSubgraph('forge');
    expect((await until('Mint holds the escrow', () => mintEscrow(contractId), 15_000)).status).toBe('ACTIVE');
    await mintRelay.drain().catch(() => undefined); // one attempt to publish, refused by the bus
    expect(await waitingEvent('mint', 'mint.hold.placed', contractId)).toBe(true);
    mintRelay.start();

    await platform.restartSubgraph('forge');
    await contractReaches(platform, employer, contractId, 'ACTIVE');
    await ok(platform, COMPLETE, { id: contractId }, employer);
    expect((await contractReaches(platform, learner, contractId, 'COMPLETED')).escrow.status).toBe('RELEASED');
    // The freelancer had no USD account: Mint opened one to pay them.
    expect(await balancesOf(platform, learner)).toEqual(['250.00']);
    expect(await balancesOf(platform, employer)).toEqual(['150.00']);
    expect((await ok(platform, REPORT, {}, treasury)).ledgerReport.balanced).toBe(true);
  });

  it('completes the saga when Mint is down at the hire and comes back', async () => {
    const { learner, employer, applicationId } = await hiringSetUp('restart-mint', '300.00');
    await platform.stopSubgraph('mint');
    const contractId = await hire(platform, employer, applicationId);
    await platform.subgraphs.forge!.relay.drain().catch(() => undefined); // one attempt to publish, refused by the bus
    expect(await waitingEvent('forge', 'forge.contract.created', contractId)).toBe(true);
    // The contract itself is Forge's: it reads fine while Mint is away.
    expect(
      (await ok(platform, 'query($id: ID!) { contract(id: $id) { status } }', { id: contractId }, employer)).contract
        .status,
    ).toBe('PENDING_FUNDING');

    await platform.restartSubgraph('mint');
    expect((await contractReaches(platform, employer, contractId, 'ACTIVE')).escrow.status).toBe('ACTIVE');
    await ok(platform, COMPLETE, { id: contractId }, employer);
    await contractReaches(platform, learner, contractId, 'COMPLETED');
    expect(await balancesOf(platform, learner)).toEqual(['250.00']);
    expect(await balancesOf(platform, employer)).toEqual(['50.00']);
  });

  it('cancels a hire the employer cannot fund, with the reason, holding nothing, and lets them hire again later', async () => {
    const { employer, accountId, jobId, applicationId } = await hiringSetUp('underfunded', '100.00');
    const contractId = await hire(platform, employer, applicationId);
    const cancelled = await contractReaches(platform, employer, contractId, 'CANCELLED');
    expect(cancelled.statusReason).toMatch(/^Funding failed: .*enough money/);
    expect(cancelled.escrow).toBeNull();
    expect(await mintEscrow(contractId)).toBeUndefined();
    expect(await balancesOf(platform, employer)).toEqual(['100.00']);
    // Nothing half-done: the job is open and the application pending again.
    expect((await ok(platform, JOB, { id: jobId }, employer)).job).toEqual({
      status: 'OPEN',
      applications: [{ status: 'PENDING', contract: { id: contractId, status: 'CANCELLED' } }],
    });

    // With the money there, the same application can be hired: a new contract, a new hold.
    await deposit(platform, accountId!, '200.00');
    const second = await hire(platform, employer, applicationId);
    expect(second).not.toBe(contractId);
    expect((await contractReaches(platform, employer, second, 'ACTIVE')).escrow.amount.amount).toBe('250.00');
    expect(await balancesOf(platform, employer)).toEqual(['50.00']);
  });

  it("cancels a hire by an employer with no account in the budget's currency", async () => {
    const { employer, applicationId } = await hiringSetUp('no-account', '0');
    const contractId = await hire(platform, employer, applicationId);
    expect((await contractReaches(platform, employer, contractId, 'CANCELLED')).statusReason).toBe(
      'Funding failed: The employer has no USD account',
    );
  });

  it('hires once: the same application again gives the same contract, another applicant a CONFLICT', async () => {
    const { employer, jobId, applicationId } = await hiringSetUp('double-hire', '1000.00');
    const other = await platform.signUp('other');
    const { applyToJob } = await ok(
      platform,
      'mutation($j: ID!) { applyToJob(jobId: $j, pitch: "Me too") { id } }',
      { j: jobId },
      other,
    );
    const [first, again] = await Promise.all([
      hire(platform, employer, applicationId),
      hire(platform, employer, applicationId),
    ]);
    expect(again).toBe(first);
    expect(
      await refused(platform, 'mutation($a: ID!) { hire(applicationId: $a) { id } }', { a: applyToJob.id }, employer),
    ).toEqual(['CONFLICT']);
    await contractReaches(platform, employer, first, 'ACTIVE');
    expect(await balancesOf(platform, employer)).toEqual(['750.00']);
  });

  it('pays once on a double complete, refuses the wrong people, and refuses cancelling after completion', async () => {
    const { learner, employer, applicationId } = await hiringSetUp('double-complete', '500.00');
    const contractId = await hire(platform, employer, applicationId);
    await contractReaches(platform, employer, contractId, 'ACTIVE');

    // The freelancer is no employer (the router refuses); another employer is not this contract's (Forge refuses).
    expect(await refused(platform, COMPLETE, { id: contractId }, learner)).toEqual(['FORBIDDEN']);
    const stranger = await platform.userWithRoles(['employer'], 'stranger');
    expect(await refused(platform, COMPLETE, { id: contractId }, stranger)).toEqual(['FORBIDDEN']);
    expect(await refused(platform, CANCEL, { id: contractId }, stranger)).toEqual(['FORBIDDEN']);
    expect((await contractOf(platform, employer, contractId)).status).toBe('ACTIVE');

    const both = await Promise.all([
      ok(platform, COMPLETE, { id: contractId }, employer),
      ok(platform, COMPLETE, { id: contractId }, employer),
    ]);
    for (const { completeContract } of both) expect(['COMPLETING', 'COMPLETED']).toContain(completeContract.status);
    await contractReaches(platform, employer, contractId, 'COMPLETED');
    expect((await ok(platform, COMPLETE, { id: contractId }, employer)).completeContract.status).toBe('COMPLETED');
    expect(await refused(platform, CANCEL, { id: contractId }, employer)).toEqual(['CONFLICT']);
    expect(await refused(platform, DISPUTE, { id: contractId }, learner)).toEqual(['CONFLICT']);

    expect(await balancesOf(platform, learner)).toEqual(['250.00']);
    expect(await balancesOf(platform, employer)).toEqual(['250.00']);
    expect((await mintEscrow(contractId))?.status).toBe('RELEASED');
    expect((await ok(platform, REPORT, {}, treasury)).ledgerReport.balanced).toBe(true);
  });

  it('refunds the employer when either party cancels, and keeps a disputed escrow held', async () => {
    const { learner, employer, applicationId } = await hiringSetUp('cancel', '600.00');
    const contractId = await hire(platform, employer, applicationId);
    await contractReaches(platform, employer, contractId, 'ACTIVE');
    expect(await balancesOf(platform, employer)).toEqual(['350.00']);
    await ok(platform, CANCEL, { id: contractId }, learner);
    const cancelled = await contractReaches(platform, employer, contractId, 'CANCELLED');
    expect(cancelled).toMatchObject({ statusReason: 'Plans changed', escrow: { status: 'REFUNDED' } });
    expect(await balancesOf(platform, employer)).toEqual(['600.00']);
    expect(await refused(platform, COMPLETE, { id: contractId }, employer)).toEqual(['CONFLICT']);

    const next = await jobWithApplicant(platform, employer, learner, ['cancel']);
    const disputedId = await hire(platform, employer, next.applicationId);
    await contractReaches(platform, employer, disputedId, 'ACTIVE');
    const disputed = (await ok(platform, DISPUTE, { id: disputedId }, employer)).disputeContract;
    expect(disputed).toMatchObject({ status: 'DISPUTED', statusReason: 'Not delivered', escrow: { status: 'ACTIVE' } });
    expect(await refused(platform, COMPLETE, { id: disputedId }, employer)).toEqual(['CONFLICT']);
    expect(await balancesOf(platform, employer)).toEqual(['350.00']);
  });

  it("lets only the saga end a contract's escrow: the employer cannot take it back through Mint", async () => {
    const { learner, employer, applicationId } = await hiringSetUp('escrow-guard', '300.00');
    const contractId = await hire(platform, employer, applicationId);
    await contractReaches(platform, employer, contractId, 'ACTIVE');
    const hold = (await mintEscrow(contractId))!;
    expect(
      await refused(
        platform,
        'mutation($h: ID!) { refundHold(input: { holdId: $h }) { id } }',
        { h: hold.id },
        employer,
      ),
    ).toEqual(['FORBIDDEN']);
    // Strangers see neither the contract nor its escrow.
    const stranger = await platform.signUp('stranger');
    expect(
      (await ok(platform, `query($id: ID!) { contract(id: $id) { id } }`, { id: contractId }, stranger)).contract,
    ).toBeNull();
    expect((await contractOf(platform, learner, contractId)).escrow.status).toBe('ACTIVE');
    expect(await balancesOf(platform, employer)).toEqual(['50.00']);
  });
});
