import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { createdAtProperty, idProperty } from '@azora/kit';

/** A part of a course's syllabus; `position` numbers the modules of a course 1, 2, 3… */
export const CourseModule = defineEntity({
  name: 'CourseModule',
  tableName: 'course_modules',
  uniques: [{ properties: ['courseId', 'position'] }],
  properties: {
    id: idProperty(),
    courseId: p.string().length(36),
    title: p.string().length(120),
    position: p.integer(),
    createdAt: createdAtProperty(),
  },
});
export type CourseModule = InferEntity<typeof CourseModule>;

/** A lesson; `position` numbers the lessons of a module 1, 2, 3… `courseId` is kept so a lesson finds its course directly. */
export const Lesson = defineEntity({
  name: 'Lesson',
  tableName: 'lessons',
  uniques: [{ properties: ['moduleId', 'position'] }],
  properties: {
    id: idProperty(),
    courseId: p.string().length(36).index(),
    moduleId: p.string().length(36),
    title: p.string().length(120),
    content: p.text(),
    position: p.integer(),
    createdAt: createdAtProperty(),
  },
});
export type Lesson = InferEntity<typeof Lesson>;
