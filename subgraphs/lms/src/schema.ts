import { join } from 'node:path';
import { buildSchema, defineSubgraph, loadTypeDefs } from '@azora/kit';
import { seedDemoData } from './demo-data';
import { Course, CourseSkill } from './entities/course.entity';
import { Certificate, Enrollment, LessonCompletion } from './entities/enrollment.entity';
import { CourseModule, Lesson } from './entities/syllabus.entity';
import { createLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';
export type { LmsContext as Context } from './context';

/** Azora LMS: courses and their syllabus, enrollments and progress, certificates. */
export const lms = defineSubgraph({
  name: 'lms',
  typeDefs: loadTypeDefs(join(__dirname, '..', 'schema.graphql')),
  resolvers,
  permissions,
  entities: [Course, CourseSkill, CourseModule, Lesson, Enrollment, LessonCompletion, Certificate],
  loaders: createLoaders,
  migrationsDir: join(__dirname, 'migrations'),
  seedDemoData,
});

export const schema = buildSchema(lms);
