import { ownerOr } from '@azora/kit';
import type { Context } from './schema';
import type { Contract } from './entities/contract.entity';
import type { Application, Job } from './entities/job.entity';

/**
 * Skills and jobs are public. Applications are their applicant's and the job poster's; contracts their two parties';
 * admins see everything.
 */
export const permissions = {
  Job: { applications: ownerOr('jobPoster', (job: Job) => job.posterId, 'admin') },
  Application: ownerOr(
    'applicationParty',
    async (application: Application, ctx: Context) => [
      application.applicantId,
      (await ctx.loaders.jobById.load(application.jobId))?.posterId,
    ],
    'admin',
  ),
  Contract: ownerOr('contractParty', (contract: Contract) => [contract.employerId, contract.freelancerId], 'admin'),
  User: {
    applications: ownerOr('ownApplications', (user: { id: string }) => user.id, 'admin'),
    postedJobs: ownerOr('ownPostedJobs', (user: { id: string }) => user.id, 'admin'),
    contracts: ownerOr('ownContracts', (user: { id: string }) => user.id, 'admin'),
  },
};
