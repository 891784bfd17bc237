import { OutboxEvent, type SqlEntityManager } from '@azora/kit';
import {
  ok,
  publishedCourse,
  refused,
  startPlatform,
  testDialects,
  type Platform,
  type SignedIn,
} from '@azora/testing';
import { Certificate } from '../src/entities/enrollment.entity';

const CREATE =
  'mutation($input: CreateCourseInput!) { createCourse(input: $input) { id status skills { slug } instructor { id } } }';
const UPDATE =
  'mutation($id: ID!, $input: UpdateCourseInput!) { updateCourse(id: $id, input: $input) { id title skills { slug } } }';
const ADD_MODULE = 'mutation($c: ID!, $t: String!) { addModule(courseId: $c, title: $t) { id position } }';
const ADD_LESSON =
  'mutation($m: ID!, $input: AddLessonInput!) { addLesson(moduleId: $m, input: $input) { id position } }';
const PUBLISH = 'mutation($id: ID!) { publishCourse(id: $id) { status publishedAt lessonCount } }';
const ARCHIVE = 'mutation($id: ID!) { archiveCourse(id: $id) { status } }';
const COURSE =
  'query($id: ID!) { course(id: $id) { id title status modules { title position lessons { title position } } } }';
const CATALOGUE = `query($filter: CourseFilter, $first: Int, $after: String) {
  courses(filter: $filter, first: $first, after: $after) { edges { node { id title } } pageInfo { hasNextPage endCursor } }
}`;
const ENROLL = 'mutation($c: ID!) { enroll(courseId: $c) { id progress } }';
const COMPLETE =
  'mutation($l: ID!) { completeLesson(lessonId: $l) { progress completedLessonIds completedAt certificate { id code } } }';
const CONTENT = 'query($id: ID!) { course(id: $id) { modules { lessons { content } } } }';

const draft = (title: string, skills = ['typescript'], level = 'BEGINNER') => ({
  input: { title, summary: 'About it.', level, skills },
});

describe.each(testDialects())('LMS through the router on %s', (dialect) => {
  let platform: Platform;
  let faculty: SignedIn;
  beforeAll(async () => {
    platform = await startPlatform({ dialect, subgraphs: ['aegis', 'lms'] });
    faculty = await platform.userWithRoles(['faculty'], 'faculty');
  });
  afterAll(() => platform?.stop());

  it('lets faculty write a course in private, and publish it once it has a lesson', async () => {
    const { createCourse } = await ok(
      platform,
      CREATE,
      draft('Private draft', ['typescript', 'graphql', 'typescript']),
      faculty,
    );
    expect(createCourse).toMatchObject({
      status: 'DRAFT',
      skills: [{ slug: 'typescript' }, { slug: 'graphql' }],
      instructor: { id: faculty.userId },
    });
    const id = createCourse.id;
    const learner = await platform.signUp('learner');
    expect((await ok(platform, COURSE, { id }, learner)).course).toBeNull();
    expect((await ok(platform, COURSE, { id }, faculty)).course.status).toBe('DRAFT');
    expect(await refused(platform, PUBLISH, { id }, faculty)).toEqual(['CONFLICT']);

    const first = (await ok(platform, ADD_MODULE, { c: id, t: 'One' }, faculty)).addModule;
    const second = (await ok(platform, ADD_MODULE, { c: id, t: 'Two' }, faculty)).addModule;
    expect([first.position, second.position]).toEqual([1, 2]);
    await ok(platform, ADD_LESSON, { m: second.id, input: { title: 'B1', content: 'b' } }, faculty);
    await ok(platform, ADD_LESSON, { m: first.id, input: { title: 'A1', content: 'a' } }, faculty);
    await ok(platform, ADD_LESSON, { m: first.id, input: { title: 'A2', content: 'a' } }, faculty);
    const published = (await ok(platform, PUBLISH, { id }, faculty)).publishCourse;
    expect(published).toMatchObject({ status: 'PUBLISHED', lessonCount: 3 });
    expect((await ok(platform, COURSE, { id }, null)).course.modules).toEqual([
      {
        title: 'One',
        position: 1,
        lessons: [
          { title: 'A1', position: 1 },
          { title: 'A2', position: 2 },
        ],
      },
      { title: 'Two', position: 2, lessons: [{ title: 'B1', position: 1 }] },
    ]);
    // Progress is measured against the syllabus: it is fixed once learners can enroll.
    expect(
      await refused(platform, ADD_LESSON, { m: first.id, input: { title: 'Late', content: 'x' } }, faculty),
    ).toEqual(['CONFLICT']);
    expect(await refused(platform, ADD_MODULE, { c: id, t: 'Late' }, faculty)).toEqual(['CONFLICT']);
  });

  it('refuses course changes to anyone but faculty, and to other faculty', async () => {
    const learner = await platform.signUp('learner');
    // Only the router refuses a learner (the whole field is faculty's); the service does not repeat it.
    expect(await refused(platform, CREATE, draft('Not mine'), learner)).toEqual(['FORBIDDEN']);
    expect(await refused(platform, CREATE, draft('Anonymous'), null)).toEqual(['UNAUTHENTICATED']);
    for (const bad of [
      draft('No'),
      draft('Fine title', ['Not A Slug']),
      draft(
        'Fine title',
        Array.from({ length: 11 }, (_, i) => `skill-${i}`),
      ),
    ]) {
      expect(await refused(platform, CREATE, bad, faculty)).toEqual(['BAD_USER_INPUT']);
    }
    const { courseId } = await publishedCourse(platform, faculty, ['sql']);
    const colleague = await platform.userWithRoles(['faculty'], 'colleague');
    expect(await refused(platform, UPDATE, { id: courseId, input: { title: 'Taken over' } }, colleague)).toEqual([
      'FORBIDDEN',
    ]);
    expect(await refused(platform, ARCHIVE, { id: courseId }, colleague)).toEqual(['FORBIDDEN']);
    const updated = (
      await ok(
        platform,
        UPDATE,
        { id: courseId, input: { title: 'SQL, revised', skills: ['sql', 'postgresql'] } },
        faculty,
      )
    ).updateCourse;
    expect(updated).toEqual({ id: courseId, title: 'SQL, revised', skills: [{ slug: 'sql' }, { slug: 'postgresql' }] });
  });

  it('lists published courses only, searched by title, skill and level, with cursors', async () => {
    const tag = `zq${dialect}`;
    const titles = [`Intro to ${tag} Alpha`, `Deep ${tag.toUpperCase()} Beta`, `${tag} Gamma`];
    const ids: string[] = [];
    for (const [i, title] of titles.entries()) {
      const { createCourse } = await ok(
        platform,
        CREATE,
        draft(title, [i === 1 ? `${tag}-skill` : 'go'], i === 2 ? 'ADVANCED' : 'BEGINNER'),
        faculty,
      );
      const { addModule } = await ok(platform, ADD_MODULE, { c: createCourse.id, t: 'M' }, faculty);
      await ok(platform, ADD_LESSON, { m: addModule.id, input: { title: 'L', content: 'c' } }, faculty);
      await ok(platform, PUBLISH, { id: createCourse.id }, faculty);
      ids.push(createCourse.id);
    }
    await ok(platform, CREATE, draft(`${tag} unpublished draft`), faculty);
    await ok(platform, ARCHIVE, { id: ids[2] }, faculty);

    const byTitle = (await ok(platform, CATALOGUE, { filter: { search: tag.toUpperCase() } }, null)).courses;
    expect(byTitle.edges.map((e: { node: { id: string; title: string } }) => e.node.id)).toEqual(ids.slice(0, 2));
    const bySkill = (await ok(platform, CATALOGUE, { filter: { skill: `${tag}-skill` } }, null)).courses;
    expect(bySkill.edges.map((e: { node: { id: string; title: string } }) => e.node.title)).toEqual([titles[1]]);
    const page = (await ok(platform, CATALOGUE, { filter: { search: tag, level: 'BEGINNER' }, first: 1 }, null))
      .courses;
    expect(page.edges.map((e: { node: { id: string; title: string } }) => e.node.id)).toEqual([ids[0]]);
    const next = (
      await ok(platform, CATALOGUE, { filter: { search: tag }, first: 1, after: page.pageInfo.endCursor }, null)
    ).courses;
    expect(next.edges.map((e: { node: { id: string; title: string } }) => e.node.id)).toEqual([ids[1]]);
    // Wildcards are text, not patterns.
    expect((await ok(platform, CATALOGUE, { filter: { search: '%_%' } }, null)).courses.edges).toEqual([]);
  });

  it('enrolls idempotently, shows lessons to learners only, and issues one certificate however the last lessons race', async () => {
    const { courseId, lessonIds } = await publishedCourse(platform, faculty, ['typescript'], 3);
    const learner = await platform.signUp('learner');
    expect(await refused(platform, CONTENT, { id: courseId }, learner)).toEqual(expect.arrayContaining(['FORBIDDEN']));
    expect(await refused(platform, COMPLETE, { l: lessonIds[0] }, learner)).toEqual(['FORBIDDEN']);
    const enrolled = (await ok(platform, ENROLL, { c: courseId }, learner)).enroll;
    expect((await ok(platform, ENROLL, { c: courseId }, learner)).enroll).toEqual(enrolled);
    expect((await ok(platform, CONTENT, { id: courseId }, learner)).course.modules[0].lessons).toHaveLength(3);
    // The instructor cannot certify themself.
    expect(await refused(platform, ENROLL, { c: courseId }, faculty)).toEqual(['FORBIDDEN']);

    const once = (await ok(platform, COMPLETE, { l: lessonIds[0] }, learner)).completeLesson;
    expect((await ok(platform, COMPLETE, { l: lessonIds[0] }, learner)).completeLesson).toEqual(once);
    expect(once.progress).toBeCloseTo(1 / 3);
    const results = await Promise.all(
      lessonIds
        .slice(1)
        .flatMap((l) => [l, l])
        .map((l) => ok(platform, COMPLETE, { l }, learner)),
    );
    const certified = results.map((r) => r.completeLesson).filter((e) => e.certificate);
    expect(certified.length).toBeGreaterThan(0);
    const last = (await ok(platform, COMPLETE, { l: lessonIds[2] }, learner)).completeLesson;
    expect(last).toMatchObject({ progress: 1, completedLessonIds: expect.arrayContaining(lessonIds) });
    expect(last.certificate.code).toMatch(/^AZ(-[0-9A-Z]{4}){3}$/);

    const em = platform.subgraphs.lms!.orm.em.fork() as SqlEntityManager;
    const certificates = await em.find(Certificate, { courseId });
    expect(certificates).toHaveLength(1);
    const issued = (await em.find(OutboxEvent, { type: 'lms.certificate.issued' })).filter(
      (e) => e.payload.courseId === courseId,
    );
    expect(issued).toHaveLength(1);
    expect(issued[0]!.payload).toMatchObject({
      certificateId: certificates[0]!.id,
      learnerId: learner.userId,
      skills: ['typescript'],
    });
  });

  it('keeps archived courses closed to newcomers but open to their learners, and certificates unchanged by edits', async () => {
    const { courseId, lessonIds } = await publishedCourse(platform, faculty, ['react'], 1);
    const early = await platform.signUp('early');
    await ok(platform, ENROLL, { c: courseId }, early);
    await ok(platform, ARCHIVE, { id: courseId }, faculty);
    expect(await refused(platform, ENROLL, { c: courseId }, await platform.signUp('late'))).toEqual(['CONFLICT']);
    const { completeLesson } = await ok(platform, COMPLETE, { l: lessonIds[0] }, early);
    expect(await refused(platform, UPDATE, { id: courseId, input: { skills: ['vue'] } }, faculty)).toEqual([
      'CONFLICT',
    ]);
    const { verifyCertificate } = await ok(
      platform,
      'query($c: String!) { verifyCertificate(code: $c) { courseTitle skills { slug } learner { id } } }',
      { c: completeLesson.certificate.code },
      null,
    );
    expect(verifyCertificate).toEqual({
      courseTitle: 'Course on react',
      skills: [{ slug: 'react' }],
      learner: { id: early.userId },
    });
    expect(
      (await ok(platform, 'query { verifyCertificate(code: "AZ-0000-0000-0000") { id } }', {}, null)).verifyCertificate,
    ).toBeNull();
  });

  it("shows a learner's enrollments to themself only, and a teacher's drafts to the teacher only", async () => {
    const { courseId } = await publishedCourse(platform, faculty, ['python'], 1);
    const { createCourse } = await ok(platform, CREATE, draft('Still a draft'), faculty);
    const learner = await platform.signUp('learner');
    await ok(platform, ENROLL, { c: courseId }, learner);
    const mine = (await ok(platform, '{ me { enrollments { course { id } progress } } }', {}, learner)).me.enrollments;
    expect(mine).toEqual([{ course: { id: courseId }, progress: 0 }]);
    const theirs = 'query($id: ID!) { user(id: $id) { enrollments { id } } }';
    expect(await refused(platform, theirs, { id: learner.userId }, faculty)).toEqual(['FORBIDDEN']);

    const teaching = 'query($id: ID!) { user(id: $id) { teaching { id } } }';
    const seenByOthers = (await ok(platform, teaching, { id: faculty.userId }, learner)).user.teaching.map(
      (c: { id: string }) => c.id,
    );
    const seenByTeacher = (await ok(platform, teaching, { id: faculty.userId }, faculty)).user.teaching.map(
      (c: { id: string }) => c.id,
    );
    expect(seenByOthers).toContain(courseId);
    expect(seenByOthers).not.toContain(createCourse.id);
    expect(seenByTeacher).toContain(createCourse.id);
  });
});
