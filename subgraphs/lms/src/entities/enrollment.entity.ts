import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

/** A learner's place in a course: one per learner and course. `completedLessons` counts the completion rows. */
export const Enrollment = defineEntity({
  name: 'Enrollment',
  tableName: 'enrollments',
  uniques: [{ properties: ['courseId', 'learnerId'] }],
  properties: {
    id: idProperty(),
    courseId: p.string().length(36),
    /** The learner's Aegis `User` id. */
    learnerId: p.string().length(36).index(),
    completedLessons: p.integer().default(0),
    completedAt: p.datetime().nullable(),
    createdAt: createdAtProperty(),
  },
});
export type Enrollment = InferEntity<typeof Enrollment>;

/** One lesson done by one enrollment; the key makes completing it twice impossible. */
export const LessonCompletion = defineEntity({
  name: 'LessonCompletion',
  tableName: 'lesson_completions',
  properties: {
    enrollmentId: p.string().length(36).primary(),
    lessonId: p.string().length(36).primary(),
    completedAt: p.datetime(),
  },
});
export type LessonCompletion = InferEntity<typeof LessonCompletion>;

/**
 * Proof that an enrollment was completed: at most one per enrollment (unique), with a random public code. The course
 * title and skills are copied at issue, so later edits of the course do not change what was certified.
 */
export const Certificate = defineEntity({
  name: 'Certificate',
  tableName: 'certificates',
  properties: {
    id: idProperty(),
    code: p.string().length(20).unique(),
    enrollmentId: p.string().length(36).unique(),
    courseId: p.string().length(36).index(),
    learnerId: p.string().length(36).index(),
    courseTitle: p.string().length(120),
    skills: p.json<string[]>(),
    issuedAt: p.datetime(),
  },
});
export type Certificate = InferEntity<typeof Certificate>;
