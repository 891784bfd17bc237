import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import {
  badInput,
  boundedText,
  conflict,
  forbidden,
  hasRole,
  notFound,
  pageRequest,
  parseSlugs,
  personId,
  recordEvent,
  toConnection,
  type ConnectionArgs,
  type Identity,
  type SqlEntityManager,
} from '@azora/kit';
import { Application, Job, JobSkill } from './entities/job.entity';
import { catalogueSkills, SOURCE } from './skill.service';

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
  constructor(private readonly em: SqlEntityManager) {}

  async post(caller: Identity, input: PostJobInput): Promise<Job> {
    const posterId = personId(caller);
    if (!hasRole(caller, 'employer')) throw forbidden('Only employers post jobs');
    const title = boundedText(input.title, 'title', 3, 120);
    const description = boundedText(input.description, 'description', 1, 5_000);
    const skills = parseSlugs(input.skills, 'skills', MAX_JOB_SKILLS);
    if (skills.length === 0) throw badInput('A job needs at least one skill', 'skills');
    const budget = parseBudget(input.budget);
    return this.em.transactional(async (em) => {
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
      recordEvent(em, SOURCE, {
        topic: 'forge.job',
        type: 'forge.job.posted',
        payload: { jobId: job.id, posterId, title, skills, budget },
      });
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
      ids.$in = this.em.createQueryBuilder(JobSkill).select('jobId').where({ skillSlug: skill }).getKnexQuery();
    }
    if (Object.keys(ids).length > 0) where.id = ids;
    const rows = await this.em.find(Job, where, { orderBy: { id: 'asc' }, limit: limit + 1 });
    return toConnection(rows, limit, (job) => job.id);
  }

  /** One application per person and job; not to one's own job, and only while the job is open. */
  async apply(caller: Identity, jobId: string, pitchText: string): Promise<Application> {
    const applicantId = personId(caller);
    const pitch = boundedText(pitchText, 'pitch', 1, 2_000);
    const job = await this.em.findOne(Job, { id: jobId });
    if (!job) throw notFound('Job', jobId);
    if (job.posterId === applicantId) throw forbidden('You cannot apply to your own job');
    if (job.status !== 'OPEN') throw conflict('This job is no longer open');
    try {
      return await this.em.transactional(async (em) => {
        const application = em.create(Application, { jobId, applicantId, pitch });
        await em.flush();
        recordEvent(em, SOURCE, {
          topic: 'forge.application',
          type: 'forge.application.submitted',
          payload: { applicationId: application.id, jobId, applicantId, posterId: job.posterId },
        });
        return application;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflict('You already applied to this job');
      throw error;
    }
  }
}
