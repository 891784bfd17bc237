import {
  JobsDocument,
  MyApplicationsDocument,
  MyPostedJobsDocument,
  SkillsDocument,
  type JobsQuery,
  type JobsQueryVariables,
  type JobSummaryFragment,
} from '@azora/sdk';
import { useState } from 'react';
import { useQuery } from 'urql';
import { PageHeading, useApp } from '../app';
import { Link } from '../routing';
import { CardList } from '../ui/card-list';
import { useCursorPage, type PagedQuery } from '../ui/cursor-pages';
import { QueryStatus } from '../ui/status';
import { Tags } from '../ui/tags';
import { formatMoney } from '../wallet/money';
import { applicationStatusName } from './statuses';

const FRESH = { requestPolicy: 'network-only' } as const;

/**
 * Open jobs for everyone; a signed-in person also sees their own applications and where each stands, and an employer
 * the jobs they posted.
 */
export function JobBoardPage() {
  const { session } = useApp();
  return (
    <section className="page">
      <PageHeading title="Jobs">Job board</PageHeading>
      {session?.user.roles.includes('employer') && <PostedJobs />}
      {session && <MyApplications />}
      <OpenJobs />
    </section>
  );
}

function MyApplications() {
  const [result, refetch] = useQuery({ query: MyApplicationsDocument, ...FRESH });
  const applications = result.data?.me?.applications;
  return (
    <section className="panel" aria-labelledby="my-applications-heading">
      <h2 id="my-applications-heading">Your applications</h2>
      <QueryStatus
        result={result}
        loading="Loading your applications…"
        retry={() => refetch(FRESH)}
        unavailable={result.data && !applications ? 'Your applications cannot be shown right now.' : undefined}
      />
      <CardList
        label="Your applications"
        items={applications ?? []}
        loaded={Boolean(applications)}
        empty="You have not applied to a job yet."
        card={(application) => (
          <li key={application.id} className="card" aria-label={`Application to ${application.job.title}`}>
            <Link to={`/jobs/${application.job.id}`} className="card-title">
              {application.job.title}
            </Link>
            <p className="meta">
              <span className="badge">{applicationStatusName(application)}</span> · applied{' '}
              <time dateTime={application.createdAt}>{new Date(application.createdAt).toLocaleDateString()}</time>
            </p>
          </li>
        )}
      />
    </section>
  );
}

function PostedJobs() {
  const [result, refetch] = useQuery({ query: MyPostedJobsDocument, ...FRESH });
  const jobs = result.data?.me?.postedJobs;
  return (
    <section className="panel" aria-labelledby="posted-jobs-heading">
      <h2 id="posted-jobs-heading">Jobs you posted</h2>
      <QueryStatus
        result={result}
        loading="Loading your jobs…"
        retry={() => refetch(FRESH)}
        unavailable={result.data && !jobs ? 'Your jobs cannot be shown right now.' : undefined}
      />
      <CardList
        label="Jobs you posted"
        items={jobs ?? []}
        loaded={Boolean(jobs)}
        empty="You have not posted a job yet."
        card={(job) => {
          const count = job.applications?.length ?? 0;
          return (
            <li key={job.id} className="card" aria-label={job.title}>
              <Link to={`/jobs/${job.id}`} className="card-title">
                {job.title}
              </Link>
              <p className="meta">
                {job.status === 'OPEN' ? 'Open' : 'Filled'} · {count} {count === 1 ? 'application' : 'applications'} ·
                pays {formatMoney(job.budget)}
              </p>
            </li>
          );
        }}
      />
    </section>
  );
}

function OpenJobs() {
  const [skill, setSkill] = useState('');
  const [skills] = useQuery({ query: SkillsDocument });
  const paged: PagedQuery<JobsQuery, JobsQueryVariables, JobSummaryFragment> = {
    query: JobsDocument,
    variables: { filter: skill ? { skill } : null },
    connection: (data) => data.jobs,
  };
  const jobs = useCursorPage(paged, null);
  return (
    <section className="panel" aria-labelledby="open-jobs-heading">
      <h2 id="open-jobs-heading">Open jobs</h2>
      <div className="field narrow-field">
        <label htmlFor="job-skill">Needs the skill</label>
        <select id="job-skill" value={skill} disabled={!skills.data} onChange={(e) => setSkill(e.target.value)}>
          <option value="">Any skill</option>
          {skills.data?.skills.map((s) => (
            <option key={s.slug} value={s.slug}>
              {s.name}
            </option>
          ))}
        </select>
      </div>
      <QueryStatus result={jobs.result} loading="Loading jobs…" retry={jobs.refresh} />
      <CardList
        label="Jobs"
        items={jobs.nodes}
        loaded={Boolean(jobs.result.data)}
        empty={skill ? 'No open job needs this skill right now.' : 'No job is open right now.'}
        more={{ paged, after: jobs.next, label: 'Show more jobs', loading: 'Loading more jobs…' }}
        card={(job) => <JobCard key={job.id} job={job} />}
      />
    </section>
  );
}

function JobCard({ job }: { job: JobSummaryFragment }) {
  return (
    <li className="card" aria-label={job.title}>
      <Link to={`/jobs/${job.id}`} className="card-title">
        {job.title}
      </Link>
      <p className="meta">
        Pays {formatMoney(job.budget)} · posted by {job.poster.displayName}
      </p>
      <Tags label="Skills needed" items={job.skills.map((s) => ({ key: s.slug, text: s.name }))} />
    </li>
  );
}
