import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

export const JOB_STATUSES = ['OPEN', 'FILLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * A job. `OPEN` until someone is hired (the hire claims it by a conditional update, so only one hire wins); open again
 * if that contract's funding fails. The budget is the decimal text the employer gave, checked by Mint when it is held.
 */
export const Job = defineEntity({
  name: 'Job',
  tableName: 'jobs',
  properties: {
    id: idProperty(),
    /** The poster's Aegis `User` id. */
    posterId: p.string().length(36).index(),
    title: p.string().length(120),
    description: p.text(),
    budgetAmount: p.string().length(24),
    budgetCurrency: p.string().length(3),
    status: p.string().length(8).$type<JobStatus>().default('OPEN').index(),
    createdAt: createdAtProperty(),
  },
});
export type Job = InferEntity<typeof Job>;

/** A skill a job needs; a table so open jobs can be filtered by skill. */
export const JobSkill = defineEntity({
  name: 'JobSkill',
  tableName: 'job_skills',
  properties: {
    jobId: p.string().length(36).primary(),
    skillSlug: p.string().length(40).primary().index(),
    position: p.integer(),
  },
});
export type JobSkill = InferEntity<typeof JobSkill>;

export const APPLICATION_STATUSES = ['PENDING', 'HIRED'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/** One person's application to one job (unique). */
export const Application = defineEntity({
  name: 'Application',
  tableName: 'applications',
  uniques: [{ properties: ['jobId', 'applicantId'] }],
  properties: {
    id: idProperty(),
    jobId: p.string().length(36),
    applicantId: p.string().length(36).index(),
    pitch: p.text(),
    status: p.string().length(8).$type<ApplicationStatus>().default('PENDING'),
    createdAt: createdAtProperty(),
  },
});
export type Application = InferEntity<typeof Application>;
