import { byReference, DateTimeScalar, userRef } from '@azora/kit';
import type { Resolvers } from '../generated/resolvers-types';
import type { Context } from '../schema';

type Loaders = Context['loaders'];

/** Every resolver hands its work to a service: the rules live there. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    courses: (_p, { filter, ...page }, ctx) => ctx.services.courses.catalogue(filter, page),
    course: (_p, { id }, ctx) => ctx.services.courses.visible(id),
    certificate: (_p, { id }, ctx) => ctx.services.learning.certificate(id),
    verifyCertificate: (_p, { code }, ctx) => ctx.services.learning.verify(code),
  },
  Mutation: {
    createCourse: (_p, { input }, ctx) => ctx.services.courses.create(input),
    updateCourse: (_p, { id, input }, ctx) => ctx.services.courses.update(id, input),
    addModule: (_p, { courseId, title }, ctx) => ctx.services.courses.addModule(courseId, title),
    addLesson: (_p, { moduleId, input }, ctx) => ctx.services.courses.addLesson(moduleId, input),
    publishCourse: (_p, { id }, ctx) => ctx.services.courses.publish(id),
    archiveCourse: (_p, { id }, ctx) => ctx.services.courses.archive(id),
    enroll: (_p, { courseId }, ctx) => ctx.services.learning.enroll(courseId),
    completeLesson: (_p, { lessonId }, ctx) => ctx.services.learning.completeLesson(lessonId),
  },
  Course: {
    __resolveReference: byReference((loaders: Loaders) => loaders.courseById),
    skills: (course, _a, ctx) => ctx.services.courses.skillsOf(course),
    instructor: (course) => userRef(course.instructorId),
    modules: (course, _a, ctx) => ctx.services.courses.modulesOf(course),
  },
  CourseModule: {
    lessons: (module, _a, ctx) => ctx.services.courses.lessonsOf(module),
  },
  Enrollment: {
    course: (enrollment, _a, ctx) => ctx.services.courses.courseOf(enrollment),
    learner: (enrollment) => userRef(enrollment.learnerId),
    progress: (enrollment, _a, ctx) => ctx.services.learning.progress(enrollment),
    completedLessonIds: (enrollment, _a, ctx) => ctx.services.learning.completedLessonIds(enrollment),
    certificate: (enrollment, _a, ctx) => ctx.services.learning.certificateOf(enrollment),
    enrolledAt: (enrollment) => enrollment.createdAt,
  },
  Certificate: {
    __resolveReference: byReference((loaders: Loaders) => loaders.certificateById),
    learner: (certificate) => userRef(certificate.learnerId),
    course: (certificate, _a, ctx) => ctx.services.courses.courseOf(certificate),
    skills: (certificate, _a, ctx) => ctx.services.learning.skillsOf(certificate),
  },
  User: {
    // LMS keeps no user rows: the reference itself is all it needs.
    __resolveReference: (reference) => ({ id: reference.id }),
    enrollments: (user, _a, ctx) => ctx.services.learning.enrollmentsOf(user.id),
    teaching: (user, _a, ctx) => ctx.services.courses.teaching(user.id),
  },
};
