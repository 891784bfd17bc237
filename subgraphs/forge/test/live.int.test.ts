import {
  collect,
  connectWs,
  fundedAccount,
  hire,
  jobWithApplicant,
  ok,
  startPlatform,
  testDialects,
  type Platform,
} from '@azora/testing';

const APPLICATIONS = 'subscription($j: ID!) { jobApplications(jobId: $j) { id pitch applicant { displayName } } }';
const CONTRACTS = 'subscription { contractUpdates { id status amount { amount currency } } }';

describe.each(testDialects())('Forge live updates through the router on %s', (dialect) => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'mint', 'forge'] });
  });
  afterAll(() => platform?.stop());

  it("shows the poster each new application, and both parties every step of their contract, but nobody else's", async () => {
    const employer = await platform.userWithRoles(['employer'], 'Katherine');
    const freelancer = await platform.signUp('Alan');
    const outsider = await platform.signUp('Outsider');
    await fundedAccount(platform, employer, '1000.00');
    const { postJob } = await ok(
      platform,
      'mutation($i: PostJobInput!) { postJob(input: $i) { id } }',
      {
        i: {
          title: 'Build a ledger',
          description: 'Double entry.',
          skills: ['typescript'],
          budget: { amount: '300.00', currency: 'USD' },
        },
      },
      employer,
    );

    const posterSocket = connectWs(platform.routerUrl, { authorization: `Bearer ${employer.accessToken}` });
    const freelancerSocket = connectWs(platform.routerUrl, { authorization: `Bearer ${freelancer.accessToken}` });
    const outsiderSocket = connectWs(platform.routerUrl, { authorization: `Bearer ${outsider.accessToken}` });
    try {
      const subscriptions = platform.watchSubscriptions();
      const applications = collect(posterSocket, APPLICATIONS, { j: postJob.id });
      const employerContracts = collect(posterSocket, CONTRACTS);
      const freelancerContracts = collect(freelancerSocket, CONTRACTS);
      const outsiderContracts = collect(outsiderSocket, CONTRACTS);
      await subscriptions.opened(4); // each has reached Forge's event stream
      const peeking = collect(outsiderSocket, APPLICATIONS, { j: postJob.id });

      const { applyToJob } = await ok(
        platform,
        'mutation($j: ID!) { applyToJob(jobId: $j, pitch: "I built one") { id } }',
        { j: postJob.id },
        freelancer,
      );
      const [application] = await applications.until(1);
      if (!application?.data) throw new Error(JSON.stringify(application ?? applications.failure()));
      expect(application.data.jobApplications).toEqual({
        id: applyToJob.id,
        pitch: 'I built one',
        applicant: { displayName: 'Alan' },
      });
      await peeking.until(1);
      expect(
        peeking.results[0]?.errors?.[0]?.extensions?.code ?? (peeking.failure() as any)?.[0]?.extensions?.code,
      ).toBe('FORBIDDEN');

      const contractId = await hire(platform, employer, applyToJob.id);
      for (const feed of [employerContracts, freelancerContracts]) {
        const deadline = Date.now() + 15_000;
        // Two state changes (created, activated): wait for both deliveries, the last of which must read ACTIVE.
        const settled = () =>
          feed.results.length >= 2 && feed.results.at(-1)?.data?.contractUpdates?.status === 'ACTIVE';
        while (!settled() && Date.now() < deadline) await feed.until(feed.results.length + 1, 500);
        // One update per state change (hired, then funded); each shows the contract as it is when delivered.
        const steps = feed.results.map((r) => r.data.contractUpdates);
        expect(steps.length).toBeGreaterThanOrEqual(2);
        for (const step of steps)
          expect(step).toMatchObject({ id: contractId, amount: { amount: '300.00', currency: 'USD' } });
        expect(steps.at(-1)!.status).toBe('ACTIVE');
      }
      // The outsider's feed saw none of that contract: the first update it gets is of a contract of their own, made
      // after the one above was ACTIVE for both parties.
      const { applicationId } = await jobWithApplicant(platform, employer, outsider, ['typescript'], {
        amount: '10.00',
        currency: 'USD',
      });
      const ownContract = await hire(platform, employer, applicationId);
      const [first] = await outsiderContracts.until(1);
      expect(first?.data?.contractUpdates?.id).toBe(ownContract);
    } finally {
      await Promise.all([posterSocket.dispose(), freelancerSocket.dispose(), outsiderSocket.dispose()]);
    }
  });
});
