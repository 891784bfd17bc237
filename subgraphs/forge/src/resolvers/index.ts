import { byReference, DateTimeScalar, DecimalScalar, userRef } from '@azora/kit';
import type { Contract } from '../entities/contract.entity';
import type { Application } from '../entities/job.entity';
import type { Resolvers } from '../generated/resolvers-types';
import type { Context } from '../schema';

type Loaders = Context['loaders'];

/** Every resolver hands its work to a service: the rules live there. */
export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: DateTimeScalar,
  Query: {
    skills: (_p, _a, ctx) => ctx.services.skills.catalogue(),
    jobs: (_p, { filter, ...page }, ctx) => ctx.services.jobs.openJobs(filter, page),
    job: (_p, { id }, ctx) => ctx.services.jobs.job(id),
    application: (_p, { id }, ctx) => ctx.services.jobs.application(id),
    contract: (_p, { id }, ctx) => ctx.services.contracts.visible(id),
  },
  Subscription: {
    jobApplications: {
      subscribe: (_p, { jobId }, ctx) => ctx.services.jobs.applicationsLive(jobId),
      resolve: (application: Application) => application,
    },
    contractUpdates: {
      subscribe: (_p, _a, ctx) => ctx.services.contracts.updates(),
      resolve: (contract: Contract) => contract,
    },
  },
  Mutation: {
    declareSkill: (_p, { slug }, ctx) => ctx.services.skills.declare(slug),
    retractSkill: (_p, { slug }, ctx) => ctx.services.skills.retract(slug),
    postJob: (_p, { input }, ctx) => ctx.services.jobs.post(input),
    applyToJob: (_p, { jobId, pitch }, ctx) => ctx.services.jobs.apply(jobId, pitch),
    hire: (_p, { applicationId }, ctx) => ctx.services.contracts.hire(applicationId),
    completeContract: (_p, { contractId }, ctx) => ctx.services.contracts.complete(contractId),
    cancelContract: (_p, { contractId, reason }, ctx) => ctx.services.contracts.cancel(contractId, reason),
    disputeContract: (_p, { contractId, reason }, ctx) => ctx.services.contracts.dispute(contractId, reason),
  },
  Skill: {
    __resolveReference: (reference, ctx) => ctx.services.skills.bySlug(reference.slug),
  },
  UserSkill: {
    skill: (held, _a, ctx) => ctx.services.skills.bySlug(held.skillSlug),
    verified: (held, _a, ctx) => ctx.services.skills.isVerified(held),
    certificate: (held, _a, ctx) => ctx.services.skills.certificateOf(held),
  },
  Job: {
    __resolveReference: byReference((loaders: Loaders) => loaders.jobById),
    skills: (job, _a, ctx) => ctx.services.jobs.skillsOf(job),
    budget: (job, _a, ctx) => ctx.services.jobs.budgetOf(job),
    poster: (job) => userRef(job.posterId),
    applications: (job, _a, ctx) => ctx.services.jobs.applicationsOf(job),
  },
  Application: {
    job: (application, _a, ctx) => ctx.services.jobs.jobOf(application),
    applicant: (application) => userRef(application.applicantId),
    contract: (application, _a, ctx) => ctx.services.contracts.ofApplication(application),
  },
  Contract: {
    __resolveReference: byReference((loaders: Loaders) => loaders.contractById),
    job: (contract, _a, ctx) => ctx.services.jobs.jobOf(contract),
    application: (contract, _a, ctx) => ctx.services.jobs.applicationOf(contract),
    employer: (contract) => userRef(contract.employerId),
    freelancer: (contract) => userRef(contract.freelancerId),
    amount: (contract, _a, ctx) => ctx.services.contracts.amountOf(contract),
  },
  Certificate: {
    // Forge keeps no certificate rows: its grants are found by the certificate's id.
    __resolveReference: (reference) => ({ id: reference.id }),
    skillsGranted: (certificate, _a, ctx) => ctx.services.skills.grantedBy(certificate),
  },
  User: {
    // Forge keeps no user rows: the reference itself is all it needs.
    __resolveReference: (reference) => ({ id: reference.id }),
    skills: (user, _a, ctx) => ctx.services.skills.profileOf(user.id),
    applications: (user, _a, ctx) => ctx.services.jobs.applicationsBy(user.id),
    postedJobs: (user, _a, ctx) => ctx.services.jobs.postedBy(user.id),
    contracts: (user, _a, ctx) => ctx.services.contracts.ofParty(user.id),
  },
};
