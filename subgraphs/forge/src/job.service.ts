import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import {
  badInput,
  boundedText,
  conflict,
  eventStream,
  forbidden,
  hasRole,
  notFound,
  pageRequest,
  parseSlugs,
  personId,
  readEvent,
  toConnection,
  transaction,
  type ConnectionArgs,
} from '@azora/kit';
import type { Contract } from './entities/contract.entity';
import { Application, Job, JobSkill } from './entities/job.entity';
import { forgeEvents } from './events';
import type { Context } from './schema';
import { catalogueSkills } from './skill.service';

export const MAX_JOB_SKILLS = 10;
// Two decimals at most: no currency Mint supports has more. Mint checks the exact precision when it holds the money.
const AMOUNT = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;

export interface PostJobInput {
  title: string;
  description: string;
  skills: readonly string[];
  budget: { amount: string; currency: string };
}

/** Parses a budget: a positive decimal string and an ISO-4217 code. */
export function parseBudget(budget: { amount: string; currency: string }): { amount: string; currency: string } {
  if (!AMOUNT.test(budget.amount) || /^0(\.0+)?$/.test(budget.amount)) {
    throw badInput('A budget is a positive amount with at most two decimals, such as "250.00"', 'budget.amount');
  }
  if (!/^[A-Z]{3}$/.test(budget.currency))
    throw badInput('A currency is an ISO-4217 code such as USD', 'budget.currency');
  return { amount: budget.amount, currency: budget.currency };
}

/** The marketplace: employers post jobs, people apply. */
export class JobService {
  constructor(private readonly ctx: Context) {}

  /** Posts a job for the caller (the router lets only employers call `postJob`). */
  async post(input: PostJobInput): Promise<Job> {
    const posterId = personId(this.ctx.identity);
    const title = boundedText(input.title, 'title', 3, 120);
    const description = boundedText(input.description, 'description', 1, 5_000);
    const skills = parseSlugs(input.skills, 'skills', MAX_JOB_SKILLS);
    if (skills.length === 0) throw badInput('A job needs at least one skill', 'skills');
    const budget = parseBudget(input.budget);
    return transaction(this.ctx.em, async (em) => {
      await catalogueSkills(em, skills);
      const job = em.create(Job, {
        posterId,
        title,
        description,
        budgetAmount: budget.amount,
        budgetCurrency: budget.currency,
      });
      await em.flush();
      skills.forEach((skillSlug, position) => em.create(JobSkill, { jobId: job.id, skillSlug, position }));
      this.ctx.events.record('forge.job.posted', { jobId: job.id, posterId, title, skills, budget });
      return job;
    });
  }

  /** Open jobs, oldest first. */
  async openJobs(filter: { skill?: string | null } | null | undefined, args: ConnectionArgs) {
    const { limit, afterKey } = pageRequest(args);
    const where: FilterQuery<Job> = { status: 'OPEN' };
    const ids: Record<string, unknown> = {};
    if (afterKey) ids.$gt = afterKey;
    if (filter?.skill) {
      const [skill] = parseSlugs([filter.skill], 'skill', 1);
      ids.$in = this.ctx.em.createQueryBuilder(JobSkill).select('jobId').where({ skillSlug: skill }).getKnexQuery();
    }
    if (Object.keys(ids).length > 0) where.id = ids;
    const rows = await this.ctx.em.find(Job, where, { orderBy: { id: 'asc' }, limit: limit + 1 });
    return toConnection(rows, limit, (job) => job.id);
  }

  /** One application per person and job; not to one's own job, and only while the job is open. */
  async apply(jobId: string, pitchText: string): Promise<Application> {
    const applicantId = personId(this.ctx.identity);
    const pitch = boundedText(pitchText, 'pitch', 1, 2_000);
    const job = await this.ctx.em.findOne(Job, { id: jobId });
    if (!job) throw notFound('Job', jobId);
    if (job.posterId === applicantId) throw forbidden('You cannot apply to your own job');
    if (job.status !== 'OPEN') throw conflict('This job is no longer open');
    try {
      return await transaction(this.ctx.em, async (em) => {
        const application = em.create(Application, { jobId, applicantId, pitch });
        await em.flush();
        this.ctx.events.record('forge.application.submitted', {
          applicationId: application.id,
          jobId,
          applicantId,
          posterId: job.posterId,
        });
        return application;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict('You already applied to this job');
      throw error;
    }
  }

  /**
   * A job's new applications as they come (`Subscription.jobApplications`), for its poster (or an admin, who may
   * watch any job). Each application is read afresh when delivered, so the shield judges the row as it is then.
   */
  async applicationsLive(jobId: string): Promise<AsyncIterableIterator<Application>> {
    const { bus, em, identity, log } = this.ctx;
    const job = await this.ctx.loaders.jobById.load(jobId);
    if (!job) throw notFound('Job', jobId);
    if (job.posterId !== identity.userId && !hasRole(identity, 'admin'))
      throw forbidden("Only the job's poster sees its applications");
    return eventStream(bus, ['forge.application'], async (event) => {
      const submitted = readEvent(forgeEvents, 'forge.application.submitted', event, log);
      if (submitted?.jobId !== jobId) return undefined;
      return (await em.fork().findOne(Application, { id: submitted.applicationId })) ?? undefined;
    });
  }

  job(id: string): Promise<Job | null> {
    return this.ctx.loaders.jobById.load(id);
  }

  application(id: string): Promise<Application | null> {
    return this.ctx.loaders.applicationById.load(id);
  }

  /** The job an application or contract belongs to; it always exists, so a missing one is a bug. */
  async jobOf(record: { jobId: string }): Promise<Job> {
    const job = await this.ctx.loaders.jobById.load(record.jobId);
    if (!job) throw new Error(`job ${record.jobId} is missing`);
    return job;
  }

  /** The application a contract was made from; it always exists, so a missing one is a bug. */
  async applicationOf(contract: Contract): Promise<Application> {
    const application = await this.ctx.loaders.applicationById.load(contract.applicationId);
    if (!application) throw new Error(`application ${contract.applicationId} is missing`);
    return application;
  }

  /** The skills a job asks for, in the poster's order. */
  async skillsOf(job: Job) {
    const slugs = (await this.ctx.loaders.skillsOfJob.load(job.id)).map((s) => s.skillSlug);
    return Promise.all(slugs.map((slug) => this.ctx.services.skills.bySlug(slug)));
  }

  /** What the job pays, as the schema's `Money`. */
  budgetOf(job: Job): { amount: string; currency: string } {
    return { amount: job.budgetAmount, currency: job.budgetCurrency };
  }

  /** A job's applications, oldest first (the shield lets only its poster and admins see them). */
  applicationsOf(job: Job): Promise<Application[]> {
    return this.ctx.loaders.applicationsByJob.load(job.id);
  }

  /** A person's applications, newest first (the shield lets only them and admins see them). */
  applicationsBy(applicantId: string): Promise<Application[]> {
    return this.ctx.loaders.applicationsByApplicant.load(applicantId);
  }

  /** The jobs a person posted, newest first (the shield lets only them and admins see them). */
  postedBy(posterId: string): Promise<Job[]> {
    return this.ctx.loaders.jobsByPoster.load(posterId);
  }
}
