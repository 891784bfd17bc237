import {
  CompleteLessonDocument,
  CourseDocument,
  CourseLessonsDocument,
  EnrollDocument,
  MyEnrollmentsDocument,
  type CourseQuery,
  type EnrollmentProgressFragment,
} from '@azora/sdk';
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { PageHeading, useApp } from '../app';
import { Link } from '../routing';
import type { ErrorMessages } from '../ui/errors';
import { PageFailed, PageNotFound } from '../ui/page-states';
import { ErrorNotice, Loading, QueryStatus, Success } from '../ui/status';
import { levelName, ProgressBar } from './progress';

type Course = NonNullable<CourseQuery['course']>;
const FRESH = { requestPolicy: 'network-only' } as const;

// The server's sentence names the reason (the learner role, one's own course), which "not allowed" alone would not.
const ENROLL_MESSAGES: ErrorMessages = {
  FORBIDDEN: ({ message }) => `You cannot enrol: ${message}`,
};

/** One course: its syllabus for everyone; enrolling, the lessons, progress and the certificate for a learner. */
export function CoursePage({ id }: { id: string }) {
  const { session } = useApp();
  const [{ data, fetching, error }, refetch] = useQuery({ query: CourseDocument, variables: { id }, ...FRESH });
  const course = data?.course;
  if (fetching && !data) return <Loading>Loading the course…</Loading>;
  if (error) return <PageFailed title="Course" error={error} retry={() => refetch(FRESH)} />;
  if (!course)
    return (
      <PageNotFound title="Course not found">
        <p>No course has this address. It may be a draft that is not published yet.</p>
        <p>
          <Link to="/courses">Back to the catalogue</Link>
        </p>
      </PageNotFound>
    );
  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/courses">Course catalogue</Link>
      </p>
      <PageHeading title={course.title}>{course.title}</PageHeading>
      <p>{course.summary}</p>
      <p className="meta">
        {levelName(course.level)} · {course.lessonCount} {course.lessonCount === 1 ? 'lesson' : 'lessons'} · taught by{' '}
        {course.instructor.displayName}
        {course.status === 'ARCHIVED' && ' · archived: no new enrolments'}
      </p>
      {session ? (
        <Learning course={course} />
      ) : (
        <div className="panel">
          <Syllabus course={course} />
          <p>
            <Link to="/sign-in">Sign in</Link> or <Link to="/sign-up">create an account</Link> to enrol.
          </p>
        </div>
      )}
    </section>
  );
}

function Learning({ course }: { course: Course }) {
  const [mine, refetch] = useQuery({ query: MyEnrollmentsDocument, ...FRESH });
  const [enrolling, enroll] = useMutation(EnrollDocument);
  const [completed, setCompleted] = useState<EnrollmentProgressFragment | null>(null);
  const enrollments = mine.data?.me?.enrollments;
  // The answer of the last mutation (enrol, lesson done) is the newest state of this course's enrolment: the list is
  // not fetched again for it.
  const enrollment =
    completed?.course.id === course.id ? completed : enrollments?.find((e) => e.course.id === course.id);
  // The enrol button goes away once it worked: the keyboard focus moves to what replaced it.
  const [justEnrolled, setJustEnrolled] = useState(false);
  const progressHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!justEnrolled || !progressHeading.current) return;
    progressHeading.current.focus();
    setJustEnrolled(false); // once: a later change must not take the focus again
  }, [justEnrolled, Boolean(enrollment)]);

  if (!enrollments || mine.error)
    return (
      <QueryStatus
        result={mine}
        loading="Loading your progress…"
        retry={() => refetch(FRESH)}
        unavailable={mine.data && !enrollments ? 'Your progress cannot be shown right now.' : undefined}
      />
    );
  if (!enrollment) {
    const start = async () => {
      const result = await enroll({ courseId: course.id });
      if (result.data) {
        setCompleted(result.data.enroll);
        setJustEnrolled(true);
      }
    };
    return (
      <div className="panel">
        <Syllabus course={course} />
        {course.status === 'PUBLISHED' && (
          <button type="button" onClick={() => void start()} disabled={enrolling.fetching}>
            {enrolling.fetching ? 'Enrolling…' : 'Enrol in this course'}
          </button>
        )}
        {enrolling.error && <ErrorNotice error={enrolling.error} messages={ENROLL_MESSAGES} />}
      </div>
    );
  }
  return (
    <>
      <section className="panel" aria-labelledby="progress-heading">
        <h2 id="progress-heading" ref={progressHeading} tabIndex={-1}>
          Your progress
        </h2>
        {/* Announced when it changes (a lesson marked done), without moving the focus. */}
        <div aria-live="polite">
          <ProgressBar id="course-progress" enrollment={enrollment} />
        </div>
        {enrollment.certificate ? (
          <Success>
            Course complete. Certificate <code data-testid="certificate-code">{enrollment.certificate.code}</code>{' '}
            issued {new Date(enrollment.certificate.issuedAt).toLocaleDateString()}; anyone can check it by its code.
          </Success>
        ) : (
          <p className="hint">Complete every lesson to earn the course's certificate.</p>
        )}
      </section>
      <Lessons course={course} enrollment={enrollment} onCompleted={setCompleted} />
    </>
  );
}

function Syllabus({ course }: { course: Course }) {
  return (
    <section aria-labelledby="syllabus-heading">
      <h2 id="syllabus-heading">Syllabus</h2>
      <ol className="syllabus">
        {course.modules.map((module) => (
          <li key={module.id}>
            <h3>{module.title}</h3>
            <ol>
              {module.lessons.map((lesson) => (
                <li key={lesson.id}>{lesson.title}</li>
              ))}
            </ol>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Lessons({
  course,
  enrollment,
  onCompleted,
}: {
  course: Course;
  enrollment: EnrollmentProgressFragment;
  onCompleted: (e: EnrollmentProgressFragment) => void;
}) {
  // Lesson content is for enrolled learners only, so it is asked for once the enrolment exists.
  const [lessons, refetch] = useQuery({ query: CourseLessonsDocument, variables: { id: course.id }, ...FRESH });
  const [completing, complete] = useMutation(CompleteLessonDocument);
  const [failedLesson, setFailedLesson] = useState<string | null>(null);
  // The button of a lesson marked done goes away: the focus moves to the lesson's "Done", where the button was.
  const [justDone, setJustDone] = useState<string | null>(null);
  useEffect(() => {
    if (!justDone || !enrollment.completedLessonIds.includes(justDone)) return;
    document.getElementById(`lesson-done-${justDone}`)?.focus();
    setJustDone(null); // once: a later refetch must not take the focus again
  }, [justDone, enrollment]);
  const contentOf = new Map(
    lessons.data?.course?.modules.flatMap((m) => m.lessons.map((l) => [l.id, l.content] as const)) ?? [],
  );
  const done = new Set(enrollment.completedLessonIds);
  const markDone = async (lessonId: string) => {
    setFailedLesson(null);
    const result = await complete({ lessonId });
    if (result.data) {
      setJustDone(lessonId);
      onCompleted(result.data.completeLesson);
    } else setFailedLesson(lessonId);
  };
  return (
    <section className="panel" aria-labelledby="lessons-heading">
      <h2 id="lessons-heading">Lessons</h2>
      <QueryStatus result={lessons} loading="Loading the lessons…" retry={() => refetch(FRESH)} />
      {course.modules.map((module) => (
        <section key={module.id} aria-labelledby={`module-${module.id}`} className="module">
          <h3 id={`module-${module.id}`}>
            {module.position}. {module.title}
          </h3>
          <ol className="lessons">
            {module.lessons.map((lesson) => {
              const finished = done.has(lesson.id);
              return (
                <li key={lesson.id} className={finished ? 'lesson done' : 'lesson'} aria-label={lesson.title}>
                  <h4>{lesson.title}</h4>
                  {contentOf.has(lesson.id) && <div className="lesson-content">{contentOf.get(lesson.id)}</div>}
                  {finished ? (
                    <p className="lesson-state" id={`lesson-done-${lesson.id}`} tabIndex={-1}>
                      ✓ Done
                    </p>
                  ) : (
                    <button
                      type="button"
                      className="secondary"
                      disabled={completing.fetching}
                      onClick={() => void markDone(lesson.id)}
                    >
                      Mark “{lesson.title}” as done
                    </button>
                  )}
                  {failedLesson === lesson.id && completing.error && <ErrorNotice error={completing.error} />}
                </li>
              );
            })}
          </ol>
        </section>
      ))}
    </section>
  );
}
