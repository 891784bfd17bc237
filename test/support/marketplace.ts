import type { Platform, SignedIn } from './platform';
import { until } from './waiting';

/**
 * Steps of the learn → prove → earn story, taken through the router the way clients take them. Each fails the test
 * with the errors it got, so a broken step names itself.
 */

type Errors = { message: string; extensions?: Record<string, any> }[] | undefined;

/** Sends an operation and returns its data, or throws with the errors. */
export async function ok<T = any>(
  platform: Platform,
  query: string,
  variables: Record<string, unknown>,
  who: SignedIn | null,
): Promise<T> {
  const { body } = await platform.request<T>(query, variables, who?.headers ?? {});
  if (body.errors || !body.data)
    throw new Error(`${query.trim().split(/\s+/).slice(0, 3).join(' ')} failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Sends an operation that must fail, and returns its error codes. */
export async function refused(
  platform: Platform,
  query: string,
  variables: Record<string, unknown>,
  who: SignedIn | null,
): Promise<unknown[]> {
  const { body } = await platform.request(query, variables, who?.headers ?? {});
  const codes = (body.errors as Errors)?.map((e) => e.extensions?.code) ?? [];
  if (codes.length === 0) throw new Error(`expected a refusal, got ${JSON.stringify(body.data)}`);
  return codes;
}

const CREATE_COURSE = `mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }`;
const ADD_MODULE = `mutation($c: ID!, $t: String!) { addModule(courseId: $c, title: $t) { id } }`;
const ADD_LESSON = `mutation($m: ID!, $input: AddLessonInput!) { addLesson(moduleId: $m, input: $input) { id } }`;
const PUBLISH = `mutation($id: ID!) { publishCourse(id: $id) { id status } }`;

/** A published course by this faculty member teaching `skills`, with `lessons` lessons in one module. */
export async function publishedCourse(
  platform: Platform,
  faculty: SignedIn,
  skills: string[],
  lessons = 2,
): Promise<{ courseId: string; lessonIds: string[] }> {
  const { createCourse } = await ok(
    platform,
    CREATE_COURSE,
    {
      input: { title: `Course on ${skills.join(' and ')}`, summary: 'Learn by doing.', level: 'BEGINNER', skills },
    },
    faculty,
  );
  const { addModule } = await ok(platform, ADD_MODULE, { c: createCourse.id, t: 'Basics' }, faculty);
  const lessonIds: string[] = [];
  for (let i = 1; i <= lessons; i++) {
    const { addLesson } = await ok(
      platform,
      ADD_LESSON,
      { m: addModule.id, input: { title: `Lesson ${i}`, content: `Step ${i}.` } },
      faculty,
    );
    lessonIds.push(addLesson.id);
  }
  await ok(platform, PUBLISH, { id: createCourse.id }, faculty);
  return { courseId: createCourse.id, lessonIds };
}

export const OPEN_ACCOUNT = 'mutation($c: String!) { openAccount(input: { currency: $c }) { id } }';
const DEPOSIT = 'mutation($input: DepositInput!) { deposit(input: $input) { id } }';

/** Opens an account for `who` in `currency` with `amount` deposited by the treasury (see `deposit`); returns its id. */
export async function fundedAccount(
  platform: Platform,
  who: SignedIn,
  amount: string,
  currency = 'USD',
  treasury?: SignedIn,
): Promise<string> {
  const { openAccount } = await ok(platform, OPEN_ACCOUNT, { c: currency }, who);
  await deposit(platform, openAccount.id, amount, treasury);
  return openAccount.id;
}

/** Brings `amount` into an account, as the treasury does: `treasury` (a user with that role), else the admin. */
export async function deposit(
  platform: Platform,
  accountId: string,
  amount: string,
  treasury?: SignedIn,
): Promise<void> {
  const key = `deposit-${accountId}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await ok(
    platform,
    DEPOSIT,
    { input: { accountId, amount, idempotencyKey: key } },
    treasury ?? (await platform.admin()),
  );
}

/** The balances of a user's accounts in one currency, as Mint reports them to the owner. */
export async function balancesOf(platform: Platform, who: SignedIn, currency = 'USD'): Promise<string[]> {
  const { me } = await ok(platform, '{ me { accounts { currency balance { amount } } } }', {}, who);
  return me.accounts.filter((a: any) => a.currency === currency).map((a: any) => a.balance.amount);
}

const POST_JOB = `mutation($input: PostJobInput!) { postJob(input: $input) { id status } }`;
const APPLY = `mutation($j: ID!, $p: String!) { applyToJob(jobId: $j, pitch: $p) { id status } }`;

/** An open job by `employer` needing `skills`, and an application to it by `applicant`. */
export async function jobWithApplicant(
  platform: Platform,
  employer: SignedIn,
  applicant: SignedIn,
  skills: string[],
  budget = { amount: '250.00', currency: 'USD' },
): Promise<{ jobId: string; applicationId: string }> {
  const { postJob } = await ok(
    platform,
    POST_JOB,
    { input: { title: `Work with ${skills.join(', ')}`, description: 'Ship it.', skills, budget } },
    employer,
  );
  const { applyToJob } = await ok(platform, APPLY, { j: postJob.id, p: 'I have the certificate.' }, applicant);
  return { jobId: postJob.id, applicationId: applyToJob.id };
}

export const CONTRACT_FIELDS =
  'id status statusReason amount { amount currency } escrow { amount { amount currency } status }';
const HIRE = `mutation($a: ID!) { hire(applicationId: $a) { id status } }`;
const CONTRACT = `query($id: ID!) { contract(id: $id) { ${CONTRACT_FIELDS} } }`;

/** Hires the applicant; returns the contract id (the contract is PENDING_FUNDING until Mint answers). */
export async function hire(platform: Platform, employer: SignedIn, applicationId: string): Promise<string> {
  const { hire: contract } = await ok(platform, HIRE, { a: applicationId }, employer);
  return contract.id;
}

/** The contract as a party sees it. */
export async function contractOf(platform: Platform, who: SignedIn, contractId: string): Promise<any> {
  return (await ok(platform, CONTRACT, { id: contractId }, who)).contract;
}

/** Waits until the contract reaches `status` (sagas settle through the event bus, not within the request); returns it. */
export function contractReaches(platform: Platform, who: SignedIn, contractId: string, status: string): Promise<any> {
  return until(
    `contract ${contractId} is ${status}`,
    async () => {
      const contract = await contractOf(platform, who, contractId);
      return contract.status === status ? contract : null;
    },
    15_000,
  );
}
