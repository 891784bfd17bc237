import { newId, OutboxEvent, requestContext, type Identity, type Orm, type SqlEntityManager } from '@azora/kit';
import { codeOf, scratchOrm } from '@azora/testing';
import { canSeeCourse } from '../src/course.service';
import { Certificate } from '../src/entities/enrollment.entity';
import { certificateCode } from '../src/learning.service';
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
  /** The services as one request of this caller sees them. */
  const as = (identity: Identity) => requestContext(lms, { em: em(), identity }).services;
  const courses = (identity: Identity) => as(identity).courses;
  const learning = (identity: Identity) => as(identity).learning;

  beforeAll(async () => {
    ({ orm, drop } = await scratchOrm(lms));
  });
  afterAll(() => drop?.());

  async function course(lessons: number, publish = true) {
    const faculty = person(['faculty']);
    const created = await courses(faculty).create({
      title: 'Go, gently',
      summary: '',
      level: 'BEGINNER',
      skills: ['go'],
    });
    const module = await courses(faculty).addModule(created.id, 'Only');
    const lessonIds = [];
    for (let i = 0; i < lessons; i++)
      lessonIds.push((await courses(faculty).addLesson(module.id, { title: `L${i}`, content: 'x' })).id);
    if (publish) await courses(faculty).publish(created.id);
    return { faculty, courseId: created.id, lessonIds };
  }

  it('shows drafts to their instructor and admins only, in the catalogue and in what a person teaches', async () => {
    const { faculty, courseId } = await course(1, false);
    const draft = (await courses(faculty).visible(courseId))!;
    expect(canSeeCourse(faculty, draft)).toBe(true);
    expect(canSeeCourse(person(['admin']), draft)).toBe(true);
    expect(canSeeCourse(person(['faculty']), draft)).toBe(false);
    expect(await courses(person()).visible(courseId)).toBeNull();
    expect(await codeOf(learning(person()).enroll(courseId))).toBe('NOT_FOUND');
    expect((await courses(faculty).teaching(faculty.userId!)).map((c) => c.id)).toEqual([courseId]);
    expect(await courses(person(['admin'])).teaching(faculty.userId!)).toHaveLength(1);
    expect(await courses(person()).teaching(faculty.userId!)).toEqual([]);
  });

  it("lets an admin change any course and other faculty none (whether faculty may at all is the router's)", async () => {
    const { courseId } = await course(0, false);
    expect(await codeOf(courses(person(['faculty'])).update(courseId, { title: 'Taken over' }))).toBe('NOT_FOUND');
    expect((await courses(person(['admin'])).update(courseId, { title: 'Renamed by an admin' })).title).toBe(
      'Renamed by an admin',
    );
    const anonymous: Identity = { kind: 'anonymous', userId: null, roles: [], scopes: [] };
    expect(
      await codeOf(courses(anonymous).create({ title: 'Nobody', summary: '', level: 'BEGINNER', skills: [] })),
    ).toBe('FORBIDDEN');
  });

  it('publishes only a draft with lessons', async () => {
    const { faculty, courseId } = await course(0, false);
    expect(await codeOf(courses(faculty).publish(courseId))).toBe('CONFLICT');
    expect(await codeOf(courses(person(['faculty'])).publish(courseId))).toBe('NOT_FOUND');
  });

  it("measures progress against the course's lessons", async () => {
    const { courseId, lessonIds } = await course(4);
    const learner = person();
    const enrollment = await learning(learner).enroll(courseId);
    expect(await learning(learner).progress(enrollment)).toBe(0);
    const after = await learning(learner).completeLesson(lessonIds[2]!);
    expect(await learning(learner).progress(after)).toBe(0.25);
    expect(await learning(learner).completedLessonIds(after)).toEqual([lessonIds[2]]);
  });

  it('issues the certificate with the last lesson, exactly once, with its event', async () => {
    const { faculty, courseId, lessonIds } = await course(2);
    const learner = person();
    expect(await codeOf(learning(faculty).enroll(courseId))).toBe('FORBIDDEN');
    expect(await codeOf(learning(learner).completeLesson(lessonIds[0]!))).toBe('FORBIDDEN');
    const enrollment = await learning(learner).enroll(courseId);
    expect((await learning(learner).enroll(courseId)).id).toBe(enrollment.id);
    expect((await learning(learner).completeLesson(lessonIds[0]!)).completedAt).toBeNull();
    const done = await learning(learner).completeLesson(lessonIds[1]!);
    expect(done).toMatchObject({ completedLessons: 2, completedAt: expect.any(Date) });
    await learning(learner).completeLesson(lessonIds[1]!);
    await learning(learner).completeLesson(lessonIds[0]!);

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
    expect((await learning(person()).verify(` ${certificates[0]!.code.toLowerCase()} `))?.id).toBe(certificates[0]!.id);
    expect(await learning(person()).verify('AZ-not-a-code')).toBeNull();
  });

  it('closes an archived course to new learners but lets its learners finish', async () => {
    const { faculty, courseId, lessonIds } = await course(1);
    const enrolled = person();
    await learning(enrolled).enroll(courseId);
    await courses(faculty).archive(courseId);
    expect(await codeOf(learning(person()).enroll(courseId))).toBe('CONFLICT');
    expect((await learning(enrolled).completeLesson(lessonIds[0]!)).completedAt).not.toBeNull();
  });
});
