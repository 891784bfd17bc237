import {
  captureLogs,
  jobWithApplicant,
  ok,
  refused,
  startPlatform,
  statementsOf,
  testDialects,
  type Platform,
  type SignedIn,
} from '@azora/testing';

const POST_JOB =
  'mutation($input: PostJobInput!) { postJob(input: $input) { id status budget { amount currency } skills { slug name } } }';
const APPLY = 'mutation($j: ID!, $p: String!) { applyToJob(jobId: $j, pitch: $p) { id } }';
const DECLARE = 'mutation($s: String!) { declareSkill(slug: $s) { verified source skill { slug name } } }';
const RETRACT = 'mutation($s: String!) { retractSkill(slug: $s) }';
const JOBS =
  'query($skill: String, $first: Int, $after: String) { jobs(filter: { skill: $skill }, first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }';
const BOARD = /* GraphQL */ `
  query Board($skill: String!, $first: Int) {
    jobs(filter: { skill: $skill }, first: $first) {
      edges {
        node {
          id
          title
          budget {
            amount
            currency
          }
          skills {
            slug
            name
          }
          poster {
            id
            displayName
          }
          applications {
            pitch
            status
            applicant {
              id
              displayName
              skills {
                verified
                source
                skill {
                  slug
                  name
                }
              }
            }
          }
        }
      }
    }
  }
`;

const job = (skills: string[], amount = '100.00') => ({
  input: { title: 'A job', description: 'Do it well.', skills, budget: { amount, currency: 'USD' } },
});

describe.each(testDialects())('the Forge marketplace through the router on %s', (dialect) => {
  let platform: Platform;
  let employer: SignedIn;
  const logs = captureLogs();
  beforeAll(async () => {
    // A 50-job board with nested lists costs more than the router's default limit allows: raised here on purpose.
    platform = await startPlatform({
      dialect,
      subgraphs: ['aegis', 'forge'],
      loggerFor: logs.loggerFor,
      router: { env: { AZORA_LIMIT_MAX_COST: '20000', AZORA_RATE_LIMIT_CAPACITY: '1000000' } },
    });
    employer = await platform.userWithRoles(['employer'], 'employer');
  });
  afterAll(() => platform?.stop());

  it('posts jobs for employers only, with checked input, and catalogues new skills', async () => {
    const { postJob } = await ok(platform, POST_JOB, job(['typescript', 'quantum-knitting', 'typescript']), employer);
    expect(postJob).toMatchObject({
      status: 'OPEN',
      budget: { amount: '100.00', currency: 'USD' },
      skills: [
        { slug: 'typescript', name: 'TypeScript' },
        { slug: 'quantum-knitting', name: 'Quantum knitting' },
      ],
    });
    const { skills } = await ok(platform, '{ skills { slug name } }', {}, null);
    expect(skills).toContainEqual({ slug: 'quantum-knitting', name: 'Quantum knitting' });

    const learner = await platform.signUp('learner');
    expect(await refused(platform, POST_JOB, job(['typescript']), learner)).toEqual(['FORBIDDEN']);
    for (const bad of [
      job([]),
      job(['Not A Slug']),
      job(['typescript'], '0'),
      job(['typescript'], '1.234'),
      job(['typescript'], '-5'),
    ]) {
      expect(await refused(platform, POST_JOB, bad, employer)).toEqual(['BAD_USER_INPUT']);
    }
    const badCurrency = { input: { ...job(['go']).input, budget: { amount: '5', currency: 'usd' } } };
    expect(await refused(platform, POST_JOB, badCurrency, employer)).toEqual(['BAD_USER_INPUT']);
  });

  it("lists open jobs by skill with cursors, and takes one application per person, never to one's own job", async () => {
    const skill = `board-${dialect}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await ok(platform, POST_JOB, job([skill]), employer)).postJob.id);
    const first = (await ok(platform, JOBS, { skill, first: 2 }, null)).jobs;
    expect(first.edges.map((e: any) => e.node.id)).toEqual(ids.slice(0, 2));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await ok(platform, JOBS, { skill, first: 2, after: first.pageInfo.endCursor }, null)).jobs;
    expect(rest.edges.map((e: any) => e.node.id)).toEqual(ids.slice(2));

    const applicant = await platform.signUp('applicant');
    await ok(platform, APPLY, { j: ids[0], p: 'Pick me' }, applicant);
    expect(await refused(platform, APPLY, { j: ids[0], p: 'Pick me again' }, applicant)).toEqual(['CONFLICT']);
    expect(await refused(platform, APPLY, { j: ids[0], p: 'My own' }, employer)).toEqual(['FORBIDDEN']);
    expect(await refused(platform, APPLY, { j: ids[0], p: '   ' }, applicant)).toEqual(['BAD_USER_INPUT']);
    expect(await refused(platform, APPLY, { j: ids[0], p: 'Anonymous' }, null)).toEqual(['UNAUTHENTICATED']);
  });

  it('shows applications to the poster and the applicant only', async () => {
    const applicant = await platform.signUp('applicant');
    const { jobId } = await jobWithApplicant(platform, employer, applicant, ['privacy']);
    const query = 'query($id: ID!) { job(id: $id) { applications { pitch } } }';
    expect((await ok(platform, query, { id: jobId }, employer)).job.applications).toEqual([
      { pitch: 'I have the certificate.' },
    ]);
    const other = await platform.userWithRoles(['employer'], 'other');
    expect(await refused(platform, query, { id: jobId }, other)).toEqual(['FORBIDDEN']);
    const mine = '{ me { id applications { pitch job { id } } } }';
    expect((await ok(platform, mine, {}, applicant)).me.applications).toEqual([
      { pitch: 'I have the certificate.', job: { id: jobId } },
    ]);
    const theirs = 'query($id: ID!) { user(id: $id) { applications { id } } }';
    expect(await refused(platform, theirs, { id: applicant.userId }, other)).toEqual(['FORBIDDEN']);
  });

  it('lists the jobs a user posted, newest first, to that user and admins only', async () => {
    const poster = await platform.userWithRoles(['employer'], 'poster');
    const budget = { amount: '10.00', currency: 'USD' };
    const first = (
      await ok(
        platform,
        POST_JOB,
        { input: { title: 'First job', description: 'One.', skills: ['sql'], budget } },
        poster,
      )
    ).postJob.id;
    const second = (
      await ok(
        platform,
        POST_JOB,
        { input: { title: 'Second job', description: 'Two.', skills: ['sql'], budget } },
        poster,
      )
    ).postJob.id;
    const mine = '{ me { postedJobs { id status } } }';
    expect((await ok(platform, mine, {}, poster)).me.postedJobs).toEqual([
      { id: second, status: 'OPEN' },
      { id: first, status: 'OPEN' },
    ]);
    const theirs = 'query($id: ID!) { user(id: $id) { postedJobs { id } } }';
    expect((await ok(platform, theirs, { id: poster.userId }, await platform.admin())).user.postedJobs).toHaveLength(2);
    expect(await refused(platform, theirs, { id: poster.userId }, employer)).toEqual(['FORBIDDEN']);
    expect(
      (await ok(platform, '{ me { postedJobs { id } } }', {}, await platform.signUp('nobody'))).me.postedJobs,
    ).toEqual([]);
  });

  it('keeps self-declared skills marked as such, and lets people retract only those', async () => {
    const person = await platform.signUp('person');
    expect((await ok(platform, DECLARE, { s: 'rust' }, person)).declareSkill).toEqual({
      verified: false,
      source: 'SELF_DECLARED',
      skill: { slug: 'rust', name: 'Rust' },
    });
    expect((await ok(platform, DECLARE, { s: 'rust' }, person)).declareSkill.source).toBe('SELF_DECLARED');
    const profile = 'query($id: ID!) { user(id: $id) { skills { verified skill { slug } } } }';
    // Skills are public: another signed-in person sees them too.
    expect((await ok(platform, profile, { id: person.userId }, employer)).user.skills).toEqual([
      { verified: false, skill: { slug: 'rust' } },
    ]);
    expect((await ok(platform, RETRACT, { s: 'rust' }, person)).retractSkill).toBe(true);
    expect((await ok(platform, RETRACT, { s: 'rust' }, person)).retractSkill).toBe(false);
    expect((await ok(platform, profile, { id: person.userId }, employer)).user.skills).toEqual([]);
  });

  it("lists 50 jobs with their poster, applications and applicants' skills in a constant number of SQL statements", async () => {
    const skill = `nplus1-${dialect}`;
    const applicants = [await platform.signUp('first'), await platform.signUp('second')];
    for (const [i, applicant] of applicants.entries()) {
      await ok(platform, DECLARE, { s: i === 0 ? 'python' : 'sql' }, applicant);
      await ok(platform, DECLARE, { s: 'graphql' }, applicant);
    }
    for (let i = 0; i < 50; i++) {
      const { postJob } = await ok(platform, POST_JOB, job([skill, i % 2 ? 'go' : 'rust']), employer);
      for (const applicant of applicants) await ok(platform, APPLY, { j: postJob.id, p: `Job ${i}` }, applicant);
    }
    // Only its statement count matters (read from the logs below by its request id).
    await platform.request(
      BOARD,
      { skill, first: 5 },
      { ...employer.headers, 'x-request-id': `board-small-${dialect}` },
    );
    const large = await platform.request(
      BOARD,
      { skill, first: 50 },
      { ...employer.headers, 'x-request-id': `board-large-${dialect}` },
    );
    expect(large.body.errors).toBeUndefined();
    const nodes = large.body.data.jobs.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(50);
    expect(nodes.every((n: any) => n.poster.id === employer.userId && n.applications.length === 2)).toBe(true);
    expect(nodes[0].applications[0].applicant.skills.map((s: any) => s.skill.name).sort()).toEqual([
      'GraphQL',
      'Python',
    ]);

    const fewer = statementsOf(logs.lines, `board-small-${dialect}`);
    const more = statementsOf(logs.lines, `board-large-${dialect}`);
    expect(more).toEqual(fewer);
    // Forge: the page, the jobs' skills, the skill names, the applications, their jobs (for the applicant-or-poster
    // rule), the applicants' skills and those skills' names. Aegis: the poster, then the applicants.
    expect(more).toEqual({ forge: 7, aegis: 2 });
  });
});
