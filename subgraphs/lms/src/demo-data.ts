import { DEMO_USERS, type Identity, type Logger, type SqlEntityManager } from '@azora/kit';
import { Course } from './entities/course.entity';
import type { Context } from './schema';

const GRACE: Identity = { kind: 'user', userId: DEMO_USERS[1].id, roles: ['faculty'], scopes: [] };

/** Grace Hopper's published TypeScript course, on an empty database only (development), made through the services. */
export async function seedDemoData(
  em: SqlEntityManager,
  log: Logger,
  as: (identity: Identity) => Context,
): Promise<void> {
  if ((await em.count(Course)) > 0) return;
  const { courses } = as(GRACE).services;
  const course = await courses.create({
    title: 'TypeScript for working programmers',
    summary: 'Types that catch bugs before your users do: from the basics to typing a GraphQL API.',
    level: 'BEGINNER',
    skills: ['typescript', 'graphql'],
  });
  const syllabus = [
    { module: 'The type system', lessons: ['Why types', 'Unions and narrowing'] },
    { module: 'Typing an API', lessons: ['Generated resolver types'] },
  ];
  for (const { module, lessons } of syllabus) {
    const { id } = await courses.addModule(course.id, module);
    for (const title of lessons)
      await courses.addLesson(id, { title, content: `# ${title}\n\nRead, then try it in the playground.` });
  }
  await courses.publish(course.id);
  log.info({ courseId: course.id }, 'demo course published');
}
