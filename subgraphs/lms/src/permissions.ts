import { rule } from 'graphql-shield';
import { forbidden, ownerOr } from '@azora/kit';
import type { Context } from './schema';
import { canSeeCourse } from './course.service';
import type { Course } from './entities/course.entity';
import type { Enrollment } from './entities/enrollment.entity';
import type { Lesson } from './entities/syllabus.entity';
import { enrollmentKey } from './loaders';

const instructorOf = async (courseId: string, { loaders }: Context) =>
  (await loaders.courseById.load(courseId))?.instructorId;

/**
 * Drafts are their instructor's; lessons are for the course's learners; progress is the learner's and their
 * instructor's. Certificates are public: anyone may check one.
 */
export const permissions = {
  Course: rule('visibleCourse', { cache: 'no_cache' })((course: Course, _args, ctx: Context) =>
    canSeeCourse(ctx.identity, course) ? true : forbidden(),
  ),
  Lesson: {
    content: ownerOr(
      'courseMember',
      async (lesson: Lesson, ctx: Context) => {
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
    async (enrollment: Enrollment, ctx: Context) => [
      enrollment.learnerId,
      await instructorOf(enrollment.courseId, ctx),
    ],
    'admin',
  ),
  User: { enrollments: ownerOr('ownEnrollments', (user: { id: string }) => user.id, 'admin') },
};
