import { rule } from 'graphql-shield';
import { forbidden, ownerOr } from '@azora/kit';
import type { LmsContext } from './context';
import { canSeeCourse } from './course.service';
import type { Course } from './entities/course.entity';
import type { Enrollment } from './entities/enrollment.entity';
import type { Lesson } from './entities/syllabus.entity';
import { enrollmentKey } from './loaders';

const instructorOf = async (courseId: string, { loaders }: LmsContext) =>
  (await loaders.courseById.load(courseId))?.instructorId;

/**
 * Drafts are their instructor's; lessons are for the course's learners; progress is the learner's and their
 * instructor's. Certificates are public: anyone may check one.
 */
export const permissions = {
  Course: rule('visibleCourse', { cache: 'no_cache' })((course: Course, _args, ctx: LmsContext) =>
    canSeeCourse(ctx.identity, course) ? true : forbidden(),
  ),
  Lesson: {
    content: ownerOr(
      'courseMember',
      async (lesson: Lesson, ctx: LmsContext) => {
        const learnerId = ctx.identity.userId;
        const enrolled = learnerId
          ? await ctx.loaders.enrollmentOf.load(enrollmentKey(lesson.courseId, learnerId))
          : null;
        return [enrolled?.learnerId, await instructorOf(lesson.courseId, ctx)];
      },
      'admin',
    ),
  },
  Enrollment: ownerOr(
    'enrollmentParty',
    async (enrollment: Enrollment, ctx: LmsContext) => [
      enrollment.learnerId,
      await instructorOf(enrollment.courseId, ctx),
    ],
    'admin',
  ),
  User: { enrollments: ownerOr('ownEnrollments', (user: { id: string }) => user.id, 'admin') },
};
