import type { CourseLevel, EnrollmentProgressFragment } from '@azora/sdk';

export function levelName(level: CourseLevel): string {
  return { BEGINNER: 'Beginner', INTERMEDIATE: 'Intermediate', ADVANCED: 'Advanced' }[level];
}

/** A learner's progress as a labelled <progress>: "2 of 3 lessons done". */
export function ProgressBar({ id, enrollment }: { id: string; enrollment: EnrollmentProgressFragment }) {
  const total = enrollment.course.lessonCount;
  const done = enrollment.completedLessonIds.length;
  const percent = Math.round(enrollment.progress * 100);
  return (
    <div className="progress">
      <label htmlFor={id}>
        {done} of {total} {total === 1 ? 'lesson' : 'lessons'} done ({percent}%)
      </label>
      <progress id={id} max={100} value={percent}>
        {percent}%
      </progress>
    </div>
  );
}
