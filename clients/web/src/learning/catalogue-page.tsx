import {
  CoursesDocument,
  MyEnrollmentsDocument,
  type CourseSummaryFragment,
  type CoursesQuery,
  type CoursesQueryVariables,
} from '@azora/sdk';
import { useState, type FormEvent } from 'react';
import { useQuery } from 'urql';
import { PageHeading, useApp } from '../app';
import { Link } from '../routing';
import { CardList } from '../ui/card-list';
import { useCursorPage, type PagedQuery } from '../ui/cursor-pages';
import { QueryStatus } from '../ui/status';
import { Tags } from '../ui/tags';
import { levelName, ProgressBar } from './progress';

const FRESH = { requestPolicy: 'network-only' } as const;

/** Published courses for everyone; a signed-in learner also sees their own courses and progress first. */
export function CataloguePage() {
  const { session } = useApp();
  return (
    <section className="page">
      <PageHeading title="Courses">Course catalogue</PageHeading>
      {session && <MyLearning />}
      <Catalogue />
    </section>
  );
}

function MyLearning() {
  const [result, refetch] = useQuery({ query: MyEnrollmentsDocument, ...FRESH });
  const enrollments = result.data?.me?.enrollments;
  return (
    <section className="panel" aria-labelledby="my-learning-heading">
      <h2 id="my-learning-heading">Your learning</h2>
      <QueryStatus
        result={result}
        loading="Loading your courses…"
        retry={() => refetch(FRESH)}
        unavailable={result.data && !enrollments ? 'Your courses cannot be shown right now.' : undefined}
      />
      <CardList
        label="Your courses"
        items={enrollments ?? []}
        loaded={Boolean(enrollments)}
        empty="You are not enrolled in any course yet. Pick one below."
        card={(enrollment) => (
          <li key={enrollment.id} className="card" aria-label={enrollment.course.title}>
            <Link to={`/courses/${enrollment.course.id}`} className="card-title">
              {enrollment.course.title}
            </Link>
            <ProgressBar id={`progress-${enrollment.id}`} enrollment={enrollment} />
            {enrollment.certificate && (
              <p className="certificate-line">
                Certificate <code>{enrollment.certificate.code}</code>
              </p>
            )}
          </li>
        )}
      />
    </section>
  );
}

function Catalogue() {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const paged: PagedQuery<CoursesQuery, CoursesQueryVariables, CourseSummaryFragment> = {
    query: CoursesDocument,
    variables: { filter: search ? { search } : null },
    connection: (data) => data.courses,
  };
  const courses = useCursorPage(paged, null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearch(typed.trim());
  };
  return (
    <section className="panel" aria-labelledby="catalogue-heading">
      <h2 id="catalogue-heading">Published courses</h2>
      <form role="search" className="search" onSubmit={submit}>
        <label htmlFor="course-search">Search courses</label>
        <div className="search-row">
          <input id="course-search" type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
          <button type="submit" className="secondary">
            Search
          </button>
        </div>
      </form>
      <QueryStatus result={courses.result} loading="Loading courses…" retry={courses.refresh} />
      <CardList
        label="Courses"
        items={courses.nodes}
        loaded={Boolean(courses.result.data)}
        empty={search ? `No published course matches “${search}”.` : 'No course is published yet.'}
        more={{ paged, after: courses.next, label: 'Show more courses', loading: 'Loading more courses…' }}
        card={(course) => <CourseCard key={course.id} course={course} />}
      />
    </section>
  );
}

function CourseCard({ course }: { course: CourseSummaryFragment }) {
  return (
    <li className="card" aria-label={course.title}>
      <Link to={`/courses/${course.id}`} className="card-title">
        {course.title}
      </Link>
      <p>{course.summary}</p>
      <p className="meta">
        {levelName(course.level)} · {course.lessonCount} {course.lessonCount === 1 ? 'lesson' : 'lessons'} · by{' '}
        {course.instructor.displayName}
      </p>
      <Tags label="Skills taught" items={course.skills.map((skill) => ({ key: skill.slug, text: skill.slug }))} />
    </li>
  );
}
