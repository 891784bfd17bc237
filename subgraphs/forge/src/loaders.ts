import { byId, inKeys, manyByKey, oneByKey, type SqlEntityManager } from '@azora/kit';
import { Contract } from './entities/contract.entity';
import { Application, Job, JobSkill } from './entities/job.entity';
import { Skill, SkillGrant, UserSkill } from './entities/skill.entity';

/** This request's loaders: each batches the reads of one plan step into one statement. */
export function createLoaders(em: SqlEntityManager) {
  return {
    skillBySlug: oneByKey(
      (keys) => em.find(Skill, { slug: inKeys(keys) }),
      (skill) => skill.slug,
    ),
    /** Verified first, then by slug. */
    skillsOfUser: manyByKey(
      (keys) => em.find(UserSkill, { userId: inKeys(keys) }, { orderBy: { source: 'desc', skillSlug: 'asc' } }),
      (skill) => skill.userId,
    ),
    grantsByCertificate: manyByKey(
      (keys) => em.find(SkillGrant, { certificateId: inKeys(keys) }, { orderBy: { position: 'asc' } }),
      (grant) => grant.certificateId,
    ),
    jobById: byId(em, Job),
    skillsOfJob: manyByKey(
      (keys) => em.find(JobSkill, { jobId: inKeys(keys) }, { orderBy: { position: 'asc' } }),
      (skill) => skill.jobId,
    ),
    /** Newest first. */
    jobsByPoster: manyByKey(
      (keys) => em.find(Job, { posterId: inKeys(keys) }, { orderBy: { id: 'desc' } }),
      (job) => job.posterId,
    ),
    applicationById: byId(em, Application),
    applicationsByJob: manyByKey(
      (keys) => em.find(Application, { jobId: inKeys(keys) }, { orderBy: { id: 'asc' } }),
      (application) => application.jobId,
    ),
    applicationsByApplicant: manyByKey(
      (keys) => em.find(Application, { applicantId: inKeys(keys) }, { orderBy: { id: 'desc' } }),
      (application) => application.applicantId,
    ),
    contractById: byId(em, Contract),
    /** Newest first; an application whose funding failed may have a cancelled contract before the live one. */
    contractsByApplication: manyByKey(
      (keys) => em.find(Contract, { applicationId: inKeys(keys) }, { orderBy: { id: 'desc' } }),
      (contract) => contract.applicationId,
    ),
    /** Each contract under both its parties, newest first. */
    contractsByParty: manyByKey(
      async (keys) =>
        (
          await em.find(
            Contract,
            { $or: [{ employerId: inKeys(keys) }, { freelancerId: inKeys(keys) }] },
            { orderBy: { id: 'desc' } },
          )
        ).flatMap((contract) => [contract.employerId, contract.freelancerId].map((partyId) => ({ partyId, contract }))),
      (entry) => entry.partyId,
    ),
  };
}
