import { DEMO_USERS, type Identity, type Logger, type SqlEntityManager } from '@azora/kit';
import { CourseService } from './course.service';
import { Course } from './entities/course.entity';

const GRACE: Identity = { kind: 'user', userId: DEMO_USERS[1].id, roles: ['faculty'], scopes: [] };

/** Grace Hopper's published TypeScript course, on an empty database only (development). */
export async function seedDemoData(em: SqlEntityManager, log: Logger): Promise<void> {
  if ((await em.count(Course)) > 0) return;
  const courses = new CourseService(em);
  const course = await courses.create(GRACE, {
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
    const { id } = await courses.addModule(GRACE, course.id, module);
    for (const title of lessons)
      await courses.addLesson(GRACE, id, { title, content: `# ${title}\n\nRead, then try it in the playground.` });
  }
  await courses.publish(GRACE, course.id);
  log.info({ courseId: course.id }, 'demo course published');
}
