import { byId, inKeys, manyByKey, oneByKey, type SqlEntityManager } from '@azora/kit';
import { Course, CourseSkill } from './entities/course.entity';
import { Certificate, Enrollment, LessonCompletion } from './entities/enrollment.entity';
import { CourseModule, Lesson } from './entities/syllabus.entity';

/** `enrollmentOf` keys: one learner in one course. */
export const enrollmentKey = (courseId: string, learnerId: string) => `${courseId}/${learnerId}`;

/** This request's loaders: each batches the reads of one plan step into one statement. */
export function createLoaders(em: SqlEntityManager) {
  return {
    courseById: byId(em, Course),
    coursesByInstructor: manyByKey(
      (keys) =>
        em.find(Course, { instructorId: inKeys(keys), status: { $ne: 'ARCHIVED' } }, { orderBy: { id: 'asc' } }),
      (course) => course.instructorId,
    ),
    skillsByCourse: manyByKey(
      (keys) => em.find(CourseSkill, { courseId: inKeys(keys) }, { orderBy: { position: 'asc' } }),
      (skill) => skill.courseId,
    ),
    modulesByCourse: manyByKey(
      (keys) => em.find(CourseModule, { courseId: inKeys(keys) }, { orderBy: { position: 'asc' } }),
      (module) => module.courseId,
    ),
    lessonsByModule: manyByKey(
      (keys) => em.find(Lesson, { moduleId: inKeys(keys) }, { orderBy: { position: 'asc' } }),
      (lesson) => lesson.moduleId,
    ),
    enrollmentsByLearner: manyByKey(
      (keys) => em.find(Enrollment, { learnerId: inKeys(keys) }, { orderBy: { id: 'asc' } }),
      (enrollment) => enrollment.learnerId,
    ),
    /** By `enrollmentKey(courseId, learnerId)`: whether a learner is enrolled in a course (lesson content needs it). */
    enrollmentOf: oneByKey(
      (keys) => {
        const pairs = keys.map((key) => key.split('/') as [string, string]);
        return em.find(Enrollment, { $or: pairs.map(([courseId, learnerId]) => ({ courseId, learnerId })) });
      },
      (enrollment) => enrollmentKey(enrollment.courseId, enrollment.learnerId),
    ),
    completionsByEnrollment: manyByKey(
      (keys) => em.find(LessonCompletion, { enrollmentId: inKeys(keys) }, { orderBy: { completedAt: 'asc' } }),
      (completion) => completion.enrollmentId,
    ),
    certificateById: byId(em, Certificate),
    certificateByEnrollment: oneByKey(
      (keys) => em.find(Certificate, { enrollmentId: inKeys(keys) }),
      (certificate) => certificate.enrollmentId,
    ),
  };
}
