import {
  ApplyToJobDocument,
  JobApplicationsDocument,
  JobDocument,
  MyApplicationsDocument,
  NewJobApplicationsDocument,
  type JobSummaryFragment,
} from '@azora/sdk';
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { PageHeading, useApp } from '../app';
import { Link } from '../routing';
import { CardList } from '../ui/card-list';
import { errorDetails, type ErrorMessages } from '../ui/errors';
import { LiveStatus } from '../ui/live-status';
import { PageFailed, PageNotFound } from '../ui/page-states';
import { ErrorNotice, Loading, QueryStatus, Success } from '../ui/status';
import { Tags } from '../ui/tags';
import { formatMoney } from '../wallet/money';
import { applicationStatusName } from './statuses';

const FRESH = { requestPolicy: 'network-only' } as const;
const PITCH_MAX = 2_000;

const APPLY_MESSAGES: ErrorMessages = {
  BAD_USER_INPUT: ({ field, message }) =>
    field === 'pitch'
      ? `Tell the employer why you fit the job, in 1 to ${PITCH_MAX.toLocaleString()} characters`
      : message,
  // The server's sentence names the reason (one's own job), which "not allowed" alone would not.
  FORBIDDEN: ({ message }) => message,
};

/** One job: its details for everyone, the apply form for a signed-in person, its applications for its poster. */
export function JobPage({ id }: { id: string }) {
  const { session } = useApp();
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobDocument, variables: { id }, ...FRESH });
  const job = data?.job;
  if (fetching && !data) return <Loading>Loading the job…</Loading>;
  if (error) return <PageFailed title="Job" error={error} retry={() => refetch(FRESH)} />;
  if (!job)
    return (
      <PageNotFound title="Job not found">
        <p>
          No job has this address. <Link to="/jobs">See the open jobs</Link>.
        </p>
      </PageNotFound>
    );
  const posted = session?.user.id === job.poster.id;
  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/jobs">Job board</Link>
      </p>
      <PageHeading title={job.title}>{job.title}</PageHeading>
      <div className="panel">
        <p className="meta">
          Pays <strong>{formatMoney(job.budget)}</strong> · posted by {job.poster.displayName} on{' '}
          <time dateTime={job.createdAt}>{new Date(job.createdAt).toLocaleDateString()}</time> ·{' '}
          {job.status === 'OPEN' ? 'taking applications' : 'filled'}
        </p>
        <p className="description">{job.description}</p>
        <Tags label="Skills needed" items={job.skills.map((s) => ({ key: s.slug, text: s.name }))} />
      </div>
      {!session ? (
        <p>
          <Link to="/sign-in">Sign in</Link> or <Link to="/sign-up">create an account</Link> to apply.
        </p>
      ) : posted ? (
        <Applications jobId={job.id} />
      ) : (
        <Apply job={job} />
      )}
    </section>
  );
}

function Apply({ job }: { job: JobSummaryFragment }) {
  const [mine, refetch] = useQuery({ query: MyApplicationsDocument, ...FRESH });
  const [pitch, setPitch] = useState('');
  const [applying, apply] = useMutation(ApplyToJobDocument);
  const [problem, setProblem] = useState<unknown>(null);
  // The application just sent is the mutation's answer; one sent before is in the list.
  const sent = applying.data?.applyToJob;
  const existing = sent?.job.id === job.id ? sent : mine.data?.me?.applications?.find((a) => a.job.id === job.id);

  if (mine.fetching && !mine.data) return <Loading>Checking your applications…</Loading>;
  if (mine.error) return <ErrorNotice error={mine.error} retry={() => refetch(FRESH)} />;
  if (existing)
    return (
      <section className="panel" aria-labelledby="your-application-heading">
        <h2 id="your-application-heading">Your application</h2>
        <p>
          <span className="badge" data-testid="application-status">
            {applicationStatusName(existing)}
          </span>{' '}
          · applied <time dateTime={existing.createdAt}>{new Date(existing.createdAt).toLocaleString()}</time>
        </p>
        <blockquote className="pitch">{existing.pitch}</blockquote>
        {existing === sent && <Success>Application sent.</Success>}
      </section>
    );
  if (job.status !== 'OPEN') return <p>This job is filled and takes no more applications.</p>;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    // The rules on a pitch (1 to 2,000 characters once trimmed) are Forge's; its answer is shown as it comes.
    const result = await apply({ jobId: job.id, pitch });
    if (result.error) setProblem(result.error);
  };
  const invalid = problem !== null && errorDetails(problem).field === 'pitch';
  return (
    <section className="panel" aria-labelledby="apply-heading">
      <h2 id="apply-heading">Apply</h2>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="apply-pitch">Why you fit this job</label>
          <textarea
            id="apply-pitch"
            rows={5}
            maxLength={PITCH_MAX}
            value={pitch}
            aria-invalid={invalid || undefined}
            aria-describedby={['apply-pitch-hint', problem ? 'apply-problem' : undefined].filter(Boolean).join(' ')}
            onChange={(e) => {
              setProblem(null);
              setPitch(e.target.value);
            }}
          />
          <p className="hint" id="apply-pitch-hint">
            Your experience with the skills it needs; up to {PITCH_MAX.toLocaleString()} characters ({pitch.length} so
            far).
          </p>
        </div>
        {problem !== null && (
          <div id="apply-problem">
            <ErrorNotice error={problem} messages={APPLY_MESSAGES} />
          </div>
        )}
        <button type="submit" disabled={applying.fetching}>
          {applying.fetching ? 'Sending…' : 'Send application'}
        </button>
      </form>
    </section>
  );
}

/** The poster's view: who applied and what they wrote; a new application appears live (by subscription). */
function Applications({ jobId }: { jobId: string }) {
  const [result, refetch] = useQuery({ query: JobApplicationsDocument, variables: { id: jobId }, ...FRESH });
  const [live] = useSubscription({ query: NewJobApplicationsDocument, variables: { jobId } });
  const latest = live.data?.jobApplications.id;
  useEffect(() => {
    if (latest) refetch(FRESH);
  }, [latest, refetch]);
  const applications = result.data?.job?.applications;
  return (
    <section className="panel" aria-labelledby="applications-heading">
      <h2 id="applications-heading">Applications to your job</h2>
      <QueryStatus result={result} loading="Loading applications…" retry={() => refetch(FRESH)} />
      <CardList
        label="Applications to your job"
        items={applications ?? []}
        loaded={Boolean(applications)}
        empty="Nobody has applied yet."
        card={(application) => (
          <li
            key={application.id}
            className="card"
            aria-label={`Application from ${application.applicant.displayName}`}
          >
            <p className="card-title">{application.applicant.displayName}</p>
            <p className="meta">
              <span className="badge">{applicationStatusName(application)}</span> · applied{' '}
              <time dateTime={application.createdAt}>{new Date(application.createdAt).toLocaleString()}</time>
            </p>
            <blockquote className="pitch">{application.pitch}</blockquote>
          </li>
        )}
      />
      <LiveStatus subscription={live}>new applications appear here as they arrive.</LiveStatus>
    </section>
  );
}
