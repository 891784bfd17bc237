import { join } from 'node:path';
import { defineSubgraph, loadTypeDefs, subgraphContext, type ContextOf } from '@azora/kit';
import { CourseService } from './course.service';
import { seedDemoData } from './demo-data';
import { Course, CourseSkill } from './entities/course.entity';
import { Certificate, Enrollment, LessonCompletion } from './entities/enrollment.entity';
import { CourseModule, Lesson } from './entities/syllabus.entity';
import { lmsEvents } from './events';
import { LearningService } from './learning.service';
import { createLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
export { lmsEvents } from './events';

/** What an LMS request's context is made of: its loaders, the events it records, and its services. */
const context = subgraphContext({
  loaders: createLoaders,
  events: lmsEvents,
  services: { courses: CourseService, learning: LearningService },
});

/** What every LMS resolver, rule and service receives (codegen's `contextType`). */
export type Context = ContextOf<typeof context>;

/** Azora LMS: courses and their syllabus, enrollments and progress, certificates. */
export const lms = defineSubgraph({
  name: 'lms',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  context,
  resolvers,
  permissions,
  entities: [Course, CourseSkill, CourseModule, Lesson, Enrollment, LessonCompletion, Certificate],
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
});
