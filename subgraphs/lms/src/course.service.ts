import { type FilterQuery } from '@mikro-orm/core';
import {
  badInput,
  boundedText,
  conflict,
  entityRef,
  forbidden,
  forUpdate,
  hasRole,
  notFound,
  pageRequest,
  parseSlugs,
  personId,
  toConnection,
  transaction,
  type ConnectionArgs,
  type Identity,
  type SqlEntityManager,
} from '@azora/kit';
import { COURSE_LEVELS, Course, CourseSkill, type CourseLevel } from './entities/course.entity';
import { CourseModule, Lesson } from './entities/syllabus.entity';
import type { Context } from './schema';

export const MAX_COURSE_SKILLS = 10;

export interface CourseInput {
  title?: string | null;
  summary?: string | null;
  level?: CourseLevel | null;
  skills?: readonly string[] | null;
}

export interface CourseFilter {
  search?: string | null;
  skill?: string | null;
  level?: CourseLevel | null;
}

/** Drafts are their instructor's (and admins') alone; published and archived courses are public. */
export function canSeeCourse(identity: Identity, course: Course): boolean {
  return course.status !== 'DRAFT' || identity.userId === course.instructorId || hasRole(identity, 'admin');
}

/** A course's skill slugs, in the order its instructor gave them. */
export async function skillsOfCourse(em: SqlEntityManager, courseId: string): Promise<string[]> {
  return (await em.find(CourseSkill, { courseId }, { orderBy: { position: 'asc' } })).map((s) => s.skillSlug);
}

/** A skill, by its slug, as Forge resolves it. */
export const skillRef = (slug: string) => entityRef('Skill', 'slug', slug);

/**
 * Faculty's side of LMS: writing courses, publishing and retiring them, and the catalogue. Who may call each
 * mutation at all (faculty, admins) is the router's, from the SDL; here only what depends on the course: its
 * instructor or an admin may change it.
 */
export class CourseService {
  constructor(private readonly ctx: Context) {}

  async create(input: {
    title: string;
    summary: string;
    level: CourseLevel;
    skills: readonly string[];
  }): Promise<Course> {
    const instructorId = personId(this.ctx.identity);
    const fields = this.validate(input);
    return transaction(this.ctx.em, async (em) => {
      const course = em.create(Course, {
        instructorId,
        title: fields.title!,
        titleSearch: fields.title!.toLowerCase(),
        summary: fields.summary!,
        level: fields.level!,
      });
      await em.flush();
      this.replaceSkills(em, course.id, fields.skills!);
      this.ctx.events.record('lms.course.created', {
        courseId: course.id,
        instructorId,
        title: course.title,
        skills: fields.skills!,
      });
      return course;
    });
  }

  async update(id: string, input: CourseInput): Promise<Course> {
    const fields = this.validate(input);
    return transaction(this.ctx.em, async (em) => {
      const course = await this.manageable(em, id);
      if (course.status === 'ARCHIVED') throw conflict('An archived course no longer changes');
      if (fields.title) Object.assign(course, { title: fields.title, titleSearch: fields.title.toLowerCase() });
      if (fields.summary != null) course.summary = fields.summary;
      if (fields.level) course.level = fields.level;
      if (fields.skills) {
        await em.nativeDelete(CourseSkill, { courseId: course.id });
        this.replaceSkills(em, course.id, fields.skills);
      }
      this.ctx.events.record('lms.course.updated', { courseId: course.id, changed: Object.keys(fields) });
      return course;
    });
  }

  async addModule(courseId: string, title: string): Promise<CourseModule> {
    const moduleTitle = boundedText(title, 'title', 1, 120);
    return transaction(this.ctx.em, async (em) => {
      const course = await this.editableSyllabus(em, courseId);
      const position = (await em.count(CourseModule, { courseId: course.id })) + 1;
      const module = em.create(CourseModule, { courseId: course.id, title: moduleTitle, position });
      await em.flush();
      this.ctx.events.record('lms.course.module_added', { courseId: course.id, moduleId: module.id, position });
      return module;
    });
  }

  async addLesson(moduleId: string, input: { title: string; content: string }): Promise<Lesson> {
    const title = boundedText(input.title, 'title', 1, 120);
    const content = boundedText(input.content, 'content', 1, 20_000);
    return transaction(this.ctx.em, async (em) => {
      const module = await em.findOne(CourseModule, { id: moduleId });
      if (!module) throw notFound('Module', moduleId);
      const course = await this.editableSyllabus(em, module.courseId);
      const position = (await em.count(Lesson, { moduleId })) + 1;
      const lesson = em.create(Lesson, { courseId: course.id, moduleId, title, content, position });
      course.lessonCount += 1;
      await em.flush();
      this.ctx.events.record('lms.course.lesson_added', {
        courseId: course.id,
        moduleId,
        lessonId: lesson.id,
        position,
      });
      return lesson;
    });
  }

  async publish(id: string): Promise<Course> {
    return transaction(this.ctx.em, async (em) => {
      const course = await this.manageable(em, id);
      if (course.status === 'PUBLISHED') return course;
      if (course.status !== 'DRAFT') throw conflict('Only a draft can be published');
      if (course.lessonCount === 0) throw conflict('A course needs at least one lesson to be published');
      Object.assign(course, { status: 'PUBLISHED', publishedAt: new Date() });
      this.ctx.events.record('lms.course.published', {
        courseId: course.id,
        instructorId: course.instructorId,
        title: course.title,
        skills: await skillsOfCourse(em, course.id),
        lessonCount: course.lessonCount,
      });
      return course;
    });
  }

  async archive(id: string): Promise<Course> {
    return transaction(this.ctx.em, async (em) => {
      const course = await this.manageable(em, id);
      if (course.status === 'ARCHIVED') return course;
      Object.assign(course, { status: 'ARCHIVED', archivedAt: new Date() });
      this.ctx.events.record('lms.course.archived', { courseId: course.id });
      return course;
    });
  }

  /** The course if the caller may see it; a draft of someone else's is as good as missing. */
  async visible(id: string): Promise<Course | null> {
    const course = await this.ctx.loaders.courseById.load(id);
    return course && canSeeCourse(this.ctx.identity, course) ? course : null;
  }

  /** The course a record (enrollment, certificate) belongs to; it always exists, so a missing one is a bug. */
  async courseOf(record: { courseId: string }): Promise<Course> {
    const course = await this.ctx.loaders.courseById.load(record.courseId);
    if (!course) throw new Error(`course ${record.courseId} is missing`);
    return course;
  }

  /** The courses a person teaches that the caller may see: drafts only to their instructor and admins. */
  async teaching(instructorId: string): Promise<Course[]> {
    const courses = await this.ctx.loaders.coursesByInstructor.load(instructorId);
    return courses.filter((course) => canSeeCourse(this.ctx.identity, course));
  }

  /** The skills a course teaches, as Forge's `Skill` references, in the instructor's order. */
  async skillsOf(course: Course) {
    return (await this.ctx.loaders.skillsByCourse.load(course.id)).map((s) => skillRef(s.skillSlug));
  }

  modulesOf(course: Course): Promise<CourseModule[]> {
    return this.ctx.loaders.modulesByCourse.load(course.id);
  }

  lessonsOf(module: CourseModule): Promise<Lesson[]> {
    return this.ctx.loaders.lessonsByModule.load(module.id);
  }

  /** The catalogue: published courses, oldest first. */
  async catalogue(filter: CourseFilter | null | undefined, args: ConnectionArgs) {
    const { limit, afterKey } = pageRequest(args);
    const where: FilterQuery<Course> = { status: 'PUBLISHED' };
    const ids: Record<string, unknown> = {};
    if (afterKey) ids.$gt = afterKey;
    if (filter?.skill) {
      const [skill] = parseSlugs([filter.skill], 'skill', 1);
      ids.$in = this.ctx.em
        .createQueryBuilder(CourseSkill)
        .select('courseId')
        .where({ skillSlug: skill })
        .getKnexQuery();
    }
    if (Object.keys(ids).length > 0) where.id = ids;
    if (filter?.level) where.level = filter.level;
    if (filter?.search != null) {
      // Words are runs of letters and digits, so LIKE's wildcards never reach the pattern; a search without any
      // word matches nothing.
      const words = filter.search.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
      if (words.length === 0) return toConnection([], limit, (course: Course) => course.id);
      where.$and = words.map((word) => ({ titleSearch: { $like: `%${word}%` } }));
    }
    const rows = await this.ctx.em.find(Course, where, { orderBy: { id: 'asc' }, limit: limit + 1 });
    return toConnection(rows, limit, (course) => course.id);
  }

  private replaceSkills(em: SqlEntityManager, courseId: string, skills: string[]): void {
    skills.forEach((skillSlug, position) => em.create(CourseSkill, { courseId, skillSlug, position }));
  }

  /** The course, locked for change, if the caller teaches it or is an admin (who may change any course). */
  private async manageable(em: SqlEntityManager, id: string): Promise<Course> {
    const caller = this.ctx.identity;
    const course = await em.findOne(Course, { id }, forUpdate(em));
    if (!course || !canSeeCourse(caller, course)) throw notFound('Course', id);
    if (course.instructorId !== caller.userId && !hasRole(caller, 'admin'))
      throw forbidden("Only the course's instructor can change it");
    return course;
  }

  /** Learners' progress is measured against the syllabus, so it changes only before anyone can enroll. */
  private async editableSyllabus(em: SqlEntityManager, courseId: string): Promise<Course> {
    const course = await this.manageable(em, courseId);
    if (course.status !== 'DRAFT')
      throw conflict('The syllabus of a published course is fixed; make a new course instead');
    return course;
  }

  private validate(input: CourseInput): CourseInput & { skills?: string[] } {
    const fields: CourseInput & { skills?: string[] } = {};
    if (input.title != null) fields.title = boundedText(input.title, 'title', 3, 120);
    if (input.summary != null) fields.summary = boundedText(input.summary, 'summary', 0, 2_000);
    if (input.level != null) {
      if (!COURSE_LEVELS.includes(input.level)) throw badInput(`Unknown level ${input.level}`, 'level');
      fields.level = input.level;
    }
    if (input.skills != null) fields.skills = parseSlugs(input.skills, 'skills', MAX_COURSE_SKILLS);
    return fields;
  }
}
