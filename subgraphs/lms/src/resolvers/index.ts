import { DateTimeScalar, userRef } from '@azora/kit';
import type { LmsContext } from '../context';
import { canSeeCourse, CourseService } from '../course.service';
import type { Resolvers } from '../generated/resolvers-types';
import { LearningService } from '../learning.service';

const courses = (ctx: LmsContext) => new CourseService(ctx.em);
const learning = (ctx: LmsContext) => new LearningService(ctx.em);
const skill = (slug: string) => ({ __typename: 'Skill' as const, slug });

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    courses: (_p, { filter, ...page }, ctx) => courses(ctx).catalogue(filter, page),
    course: (_p, { id }, ctx) => courses(ctx).visible(ctx.identity, id),
    certificate: (_p, { id }, { loaders }) => loaders.certificateById.load(id),
    verifyCertificate: (_p, { code }, ctx) => learning(ctx).verify(code),
  },
  Mutation: {
    createCourse: (_p, { input }, ctx) => courses(ctx).create(ctx.identity, input),
    updateCourse: (_p, { id, input }, ctx) => courses(ctx).update(ctx.identity, id, input),
    addModule: (_p, { courseId, title }, ctx) => courses(ctx).addModule(ctx.identity, courseId, title),
    addLesson: (_p, { moduleId, input }, ctx) => courses(ctx).addLesson(ctx.identity, moduleId, input),
    publishCourse: (_p, { id }, ctx) => courses(ctx).publish(ctx.identity, id),
    archiveCourse: (_p, { id }, ctx) => courses(ctx).archive(ctx.identity, id),
    enroll: (_p, { courseId }, ctx) => learning(ctx).enroll(ctx.identity, courseId),
    completeLesson: (_p, { lessonId }, ctx) => learning(ctx).completeLesson(ctx.identity, lessonId),
  },
  Course: {
    __resolveReference: (reference, { loaders }) => loaders.courseById.load(reference.id),
    skills: async (course, _a, { loaders }) =>
      (await loaders.skillsByCourse.load(course.id)).map((s) => skill(s.skillSlug)),
    instructor: (course) => userRef(course.instructorId),
    modules: (course, _a, { loaders }) => loaders.modulesByCourse.load(course.id),
  },
  CourseModule: {
    lessons: (module, _a, { loaders }) => loaders.lessonsByModule.load(module.id),
  },
  Enrollment: {
    course: (enrollment, _a, { loaders }) => loaders.courseById.load(enrollment.courseId).then((c) => c!),
    learner: (enrollment) => userRef(enrollment.learnerId),
    progress: async (enrollment, _a, { loaders }) => {
      const course = await loaders.courseById.load(enrollment.courseId);
      return course && course.lessonCount > 0 ? Math.min(1, enrollment.completedLessons / course.lessonCount) : 0;
    },
    completedLessonIds: async (enrollment, _a, { loaders }) =>
      (await loaders.completionsByEnrollment.load(enrollment.id)).map((c) => c.lessonId),
    certificate: (enrollment, _a, { loaders }) => loaders.certificateByEnrollment.load(enrollment.id),
    enrolledAt: (enrollment) => enrollment.createdAt,
  },
  Certificate: {
    __resolveReference: (reference, { loaders }) => loaders.certificateById.load(reference.id),
    learner: (certificate) => userRef(certificate.learnerId),
    course: (certificate, _a, { loaders }) => loaders.courseById.load(certificate.courseId).then((c) => c!),
    skills: (certificate) => certificate.skills.map(skill),
  },
  User: {
    // LMS keeps no user rows: the reference itself is all it needs.
    __resolveReference: (reference) => ({ id: reference.id }),
    enrollments: (u, _a, { loaders }) => loaders.enrollmentsByLearner.load(u.id),
    teaching: async (u, _a, { loaders, identity }) =>
      (await loaders.coursesByInstructor.load(u.id)).filter((course) => canSeeCourse(identity, course)),
  },
};
