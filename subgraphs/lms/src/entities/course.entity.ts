import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

export const COURSE_LEVELS = ['BEGINNER', 'INTERMEDIATE', 'ADVANCED'] as const;
export type CourseLevel = (typeof COURSE_LEVELS)[number];
export const COURSE_STATUSES = ['DRAFT', 'PUBLISHED', 'ARCHIVED'] as const;
export type CourseStatus = (typeof COURSE_STATUSES)[number];

/**
 * A course. Its syllabus (modules and lessons) can change only while it is a DRAFT: once published, learners'
 * progress is measured against `lessonCount`, which therefore never changes again.
 */
export const Course = defineEntity({
  name: 'Course',
  tableName: 'courses',
  properties: {
    id: idProperty(),
    /** The instructor's Aegis `User` id. */
    instructorId: p.string().length(36).index(),
    title: p.string().length(120),
    /** The title in lower case: searched with LIKE, which is case-sensitive on PostgreSQL. */
    titleSearch: p.string().length(120),
    summary: p.text(),
    level: p.string().length(12).$type<CourseLevel>(),
    status: p.string().length(10).$type<CourseStatus>().default('DRAFT').index(),
    lessonCount: p.integer().default(0),
    publishedAt: p.datetime().nullable(),
    archivedAt: p.datetime().nullable(),
    createdAt: createdAtProperty(),
  },
});
export type Course = InferEntity<typeof Course>;

/** A skill a course teaches, by its Forge slug; a table rather than a list so the catalogue can be filtered by it. */
export const CourseSkill = defineEntity({
  name: 'CourseSkill',
  tableName: 'course_skills',
  properties: {
    courseId: p.string().length(36).primary(),
    skillSlug: p.string().length(40).primary().index(),
    /** Keeps the order the instructor gave. */
    position: p.integer(),
  },
});
export type CourseSkill = InferEntity<typeof CourseSkill>;
