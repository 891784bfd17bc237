import { DateTimeScalar, DecimalScalar, eventStream, forbidden, hasRole, notFound, userRef } from '@azora/kit';
import type { ForgeContext } from '../context';
import { Contract, type Contract as ContractEntity } from '../entities/contract.entity';
import { Application, type Application as ApplicationEntity } from '../entities/job.entity';
import { ContractService } from '../contract.service';
import type { Resolvers } from '../generated/resolvers-types';
import { JobService } from '../job.service';
import { SkillService, skillName } from '../skill.service';

const jobs = (ctx: ForgeContext) => new JobService(ctx.em);
const contracts = (ctx: ForgeContext) => new ContractService(ctx.em);
const skills = (ctx: ForgeContext) => new SkillService(ctx.em);

/** A skill by slug: the catalogue's entry, or, for one only LMS has named so far, the name it will get. */
const skill = async (slug: string, { loaders }: ForgeContext) =>
  (await loaders.skillBySlug.load(slug)) ?? { slug, name: skillName(slug) };

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: DateTimeScalar,
  Query: {
    skills: (_p, _a, ctx) => skills(ctx).catalogue(),
    jobs: (_p, { filter, ...page }, ctx) => jobs(ctx).openJobs(filter, page),
    job: (_p, { id }, { loaders }) => loaders.jobById.load(id),
    application: (_p, { id }, { loaders }) => loaders.applicationById.load(id),
    contract: (_p, { id }, ctx) => contracts(ctx).visible(ctx.identity, id),
  },
  Subscription: {
    jobApplications: {
      subscribe: async (_p, { jobId }, ctx) => {
        const job = await ctx.loaders.jobById.load(jobId);
        if (!job) throw notFound('Job', jobId);
        if (job.posterId !== ctx.identity.userId && !hasRole(ctx.identity, 'admin'))
          throw forbidden("Only the job's poster sees its applications");
        // Each event's application is read afresh: the object-level rule judges the whole row.
        return eventStream(ctx.bus, ['forge.application'], async (event) =>
          event.payload.jobId === jobId
            ? ((await ctx.em.fork().findOne(Application, { id: String(event.payload.applicationId) })) ?? undefined)
            : undefined,
        );
      },
      resolve: (application: ApplicationEntity) => application,
    },
    contractUpdates: {
      subscribe: (_p, _a, { bus, em, identity }) => {
        if (!identity.userId) throw forbidden('Only a party to a contract sees its updates');
        return eventStream(bus, ['forge.contract'], async (event) =>
          [event.payload.employerId, event.payload.freelancerId].includes(identity.userId)
            ? ((await em.fork().findOne(Contract, { id: String(event.payload.contractId) })) ?? undefined)
            : undefined,
        );
      },
      resolve: (contract: ContractEntity) => contract,
    },
  },
  Mutation: {
    declareSkill: (_p, { slug }, ctx) => skills(ctx).declare(ctx.identity, slug),
    retractSkill: (_p, { slug }, ctx) => skills(ctx).retract(ctx.identity, slug),
    postJob: (_p, { input }, ctx) => jobs(ctx).post(ctx.identity, input),
    applyToJob: (_p, { jobId, pitch }, ctx) => jobs(ctx).apply(ctx.identity, jobId, pitch),
    hire: (_p, { applicationId }, ctx) => contracts(ctx).hire(ctx.identity, applicationId),
    completeContract: (_p, { contractId }, ctx) => contracts(ctx).complete(ctx.identity, contractId),
    cancelContract: (_p, { contractId, reason }, ctx) => contracts(ctx).cancel(ctx.identity, contractId, reason),
    disputeContract: (_p, { contractId, reason }, ctx) => contracts(ctx).dispute(ctx.identity, contractId, reason),
  },
  Skill: {
    __resolveReference: (reference, ctx) => skill(reference.slug, ctx),
  },
  UserSkill: {
    skill: (held, _a, ctx) => skill(held.skillSlug, ctx),
    verified: (held) => held.source === 'VERIFIED',
    certificate: (held) => (held.certificateId ? { __typename: 'Certificate', id: held.certificateId } : null),
  },
  Job: {
    __resolveReference: (reference, { loaders }) => loaders.jobById.load(reference.id),
    skills: async (job, _a, ctx) =>
      Promise.all((await ctx.loaders.skillsOfJob.load(job.id)).map((s) => skill(s.skillSlug, ctx))),
    budget: (job) => ({ amount: job.budgetAmount, currency: job.budgetCurrency }),
    poster: (job) => userRef(job.posterId),
    applications: (job, _a, { loaders }) => loaders.applicationsByJob.load(job.id),
  },
  Application: {
    job: (application, _a, { loaders }) => loaders.jobById.load(application.jobId).then((job) => job!),
    applicant: (application) => userRef(application.applicantId),
    contract: async (application, _a, { loaders }) =>
      (await loaders.contractsByApplication.load(application.id))[0] ?? null,
  },
  Contract: {
    __resolveReference: (reference, { loaders }) => loaders.contractById.load(reference.id),
    job: (contract, _a, { loaders }) => loaders.jobById.load(contract.jobId).then((job) => job!),
    application: (contract, _a, { loaders }) => loaders.applicationById.load(contract.applicationId).then((a) => a!),
    employer: (contract) => userRef(contract.employerId),
    freelancer: (contract) => userRef(contract.freelancerId),
    amount: (contract) => ({ amount: contract.amount, currency: contract.currency }),
  },
  Certificate: {
    // Forge keeps no certificate rows: its grants are found by the certificate's id.
    __resolveReference: (reference) => ({ id: reference.id }),
    skillsGranted: async (certificate, _a, ctx) =>
      Promise.all((await ctx.loaders.grantsByCertificate.load(certificate.id)).map((g) => skill(g.skillSlug, ctx))),
  },
  User: {
    // Forge keeps no user rows: the reference itself is all it needs.
    __resolveReference: (reference) => ({ id: reference.id }),
    skills: (u, _a, { loaders }) => loaders.skillsOfUser.load(u.id),
    applications: (u, _a, { loaders }) => loaders.applicationsByApplicant.load(u.id),
    postedJobs: (u, _a, { loaders }) => loaders.jobsByPoster.load(u.id),
    contracts: async (u, _a, { loaders }) => (await loaders.contractsByParty.load(u.id)).map((entry) => entry.contract),
  },
};
