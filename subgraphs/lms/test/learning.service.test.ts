import { newId, OutboxEvent, type Identity, type Orm, type SqlEntityManager } from '@azora/kit';
import { codeOf, scratchOrm } from '@azora/testing';
import { canSeeCourse, CourseService } from '../src/course.service';
import { Certificate } from '../src/entities/enrollment.entity';
import { certificateCode, LearningService } from '../src/learning.service';
import { lms } from '../src/schema';

const person = (roles: string[] = []): Identity => ({ kind: 'user', userId: newId(), roles, scopes: [] });

describe('certificate codes', () => {
  it('are 12 random characters people can read off paper', () => {
    const codes = Array.from({ length: 500 }, certificateCode);
    for (const code of codes) expect(code).toMatch(/^AZ(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('LMS services (SQLite)', () => {
  let orm: Orm;
  let drop: () => Promise<void>;
  const em = () => orm.em.fork() as SqlEntityManager;
  const courses = () => new CourseService(em());
  const learning = () => new LearningService(em());

  beforeAll(async () => {
    ({ orm, drop } = await scratchOrm(lms));
  });
  afterAll(() => drop?.());

  async function course(lessons: number, publish = true) {
    const faculty = person(['faculty']);
    const created = await courses().create(faculty, {
      title: 'Go, gently',
      summary: '',
      level: 'BEGINNER',
      skills: ['go'],
    });
    const module = await courses().addModule(faculty, created.id, 'Only');
    const lessonIds = [];
    for (let i = 0; i < lessons; i++)
      lessonIds.push((await courses().addLesson(faculty, module.id, { title: `L${i}`, content: 'x' })).id);
    if (publish) await courses().publish(faculty, created.id);
    return { faculty, courseId: created.id, lessonIds };
  }

  it('lets faculty alone create courses, and shows drafts to their instructor and admins only', async () => {
    expect(
      await codeOf(
        courses().create(person(['learner']), { title: 'Mine', summary: '', level: 'BEGINNER', skills: [] }),
      ),
    ).toBe('FORBIDDEN');
    const { faculty, courseId } = await course(1, false);
    const draft = (await courses().visible(faculty, courseId))!;
    expect(canSeeCourse(faculty, draft)).toBe(true);
    expect(canSeeCourse(person(['admin']), draft)).toBe(true);
    expect(canSeeCourse(person(['faculty']), draft)).toBe(false);
    expect(await courses().visible(person(), courseId)).toBeNull();
    expect(await codeOf(learning().enroll(person(), courseId))).toBe('NOT_FOUND');
  });

  it('publishes only a draft with lessons', async () => {
    const { faculty, courseId } = await course(0, false);
    expect(await codeOf(courses().publish(faculty, courseId))).toBe('CONFLICT');
    expect(await codeOf(courses().publish(person(['faculty']), courseId))).toBe('NOT_FOUND');
  });

  it('issues the certificate with the last lesson, exactly once, with its event', async () => {
    const { faculty, courseId, lessonIds } = await course(2);
    const learner = person();
    expect(await codeOf(learning().enroll(faculty, courseId))).toBe('FORBIDDEN');
    expect(await codeOf(learning().completeLesson(learner, lessonIds[0]!))).toBe('FORBIDDEN');
    const enrollment = await learning().enroll(learner, courseId);
    expect((await learning().enroll(learner, courseId)).id).toBe(enrollment.id);
    expect((await learning().completeLesson(learner, lessonIds[0]!)).completedAt).toBeNull();
    const done = await learning().completeLesson(learner, lessonIds[1]!);
    expect(done).toMatchObject({ completedLessons: 2, completedAt: expect.any(Date) });
    await learning().completeLesson(learner, lessonIds[1]!);
    await learning().completeLesson(learner, lessonIds[0]!);

    const certificates = await em().find(Certificate, { enrollmentId: enrollment.id });
    expect(certificates).toHaveLength(1);
    expect(certificates[0]).toMatchObject({ learnerId: learner.userId, courseTitle: 'Go, gently', skills: ['go'] });
    const issued = (await em().find(OutboxEvent, { type: 'lms.certificate.issued' })).filter(
      (e) => e.payload.courseId === courseId,
    );
    expect(issued.map((e) => e.payload)).toEqual([
      {
        certificateId: certificates[0]!.id,
        code: certificates[0]!.code,
        learnerId: learner.userId,
        courseId,
        courseTitle: 'Go, gently',
        skills: ['go'],
      },
    ]);
    expect((await learning().verify(` ${certificates[0]!.code.toLowerCase()} `))?.id).toBe(certificates[0]!.id);
    expect(await learning().verify('AZ-not-a-code')).toBeNull();
  });

  it('closes an archived course to new learners but lets its learners finish', async () => {
    const { faculty, courseId, lessonIds } = await course(1);
    const enrolled = person();
    await learning().enroll(enrolled, courseId);
    await courses().archive(faculty, courseId);
    expect(await codeOf(learning().enroll(person(), courseId))).toBe('CONFLICT');
    expect((await learning().completeLesson(enrolled, lessonIds[0]!)).completedAt).not.toBeNull();
  });
});
