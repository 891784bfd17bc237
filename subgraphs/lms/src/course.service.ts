import { type FilterQuery } from '@mikro-orm/core';
import {
  badInput,
  boundedText,
  conflict,
  forbidden,
  forUpdate,
  hasRole,
  notFound,
  pageRequest,
  parseSlugs,
  personId,
  recordEvent,
  toConnection,
  type ConnectionArgs,
  type Identity,
  type SqlEntityManager,
} from '@azora/kit';
import { COURSE_LEVELS, Course, CourseSkill, type CourseLevel } from './entities/course.entity';
import { CourseModule, Lesson } from './entities/syllabus.entity';

export const SOURCE = 'lms';
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

/** Faculty's side of LMS: writing courses, publishing and retiring them, and the catalogue. */
export class CourseService {
  constructor(private readonly em: SqlEntityManager) {}

  async create(
    caller: Identity,
    input: { title: string; summary: string; level: CourseLevel; skills: readonly string[] },
  ): Promise<Course> {
    const instructorId = personId(caller);
    if (!hasRole(caller, 'faculty', 'admin')) throw forbidden('Only faculty create courses');
    const fields = this.validate(input);
    return this.em.transactional(async (em) => {
      const course = em.create(Course, {
        instructorId,
        title: fields.title!,
        titleSearch: fields.title!.toLowerCase(),
        summary: fields.summary!,
        level: fields.level!,
      });
      await em.flush();
      this.replaceSkills(em, course.id, fields.skills!);
      recordEvent(em, SOURCE, {
        topic: 'lms.course',
        type: 'lms.course.created',
        payload: { courseId: course.id, instructorId, title: course.title, skills: fields.skills },
      });
      return course;
    });
  }

  async update(caller: Identity, id: string, input: CourseInput): Promise<Course> {
    const fields = this.validate(input);
    return this.em.transactional(async (em) => {
      const course = await this.manageable(em, caller, id);
      if (course.status === 'ARCHIVED') throw conflict('An archived course no longer changes');
      if (fields.title) Object.assign(course, { title: fields.title, titleSearch: fields.title.toLowerCase() });
      if (fields.summary != null) course.summary = fields.summary;
      if (fields.level) course.level = fields.level;
      if (fields.skills) {
        await em.nativeDelete(CourseSkill, { courseId: course.id });
        this.replaceSkills(em, course.id, fields.skills);
      }
      recordEvent(em, SOURCE, {
        topic: 'lms.course',
        type: 'lms.course.updated',
        payload: { courseId: course.id, changed: Object.keys(fields) },
      });
      return course;
    });
  }

  async addModule(caller: Identity, courseId: string, title: string): Promise<CourseModule> {
    const moduleTitle = boundedText(title, 'title', 1, 120);
    return this.em.transactional(async (em) => {
      const course = await this.editableSyllabus(em, caller, courseId);
      const position = (await em.count(CourseModule, { courseId: course.id })) + 1;
      const module = em.create(CourseModule, { courseId: course.id, title: moduleTitle, position });
      await em.flush();
      recordEvent(em, SOURCE, {
        topic: 'lms.course',
        type: 'lms.course.module_added',
        payload: { courseId: course.id, moduleId: module.id, position },
      });
      return module;
    });
  }

  async addLesson(caller: Identity, moduleId: string, input: { title: string; content: string }): Promise<Lesson> {
    const title = boundedText(input.title, 'title', 1, 120);
    const content = boundedText(input.content, 'content', 1, 20_000);
    return this.em.transactional(async (em) => {
      const module = await em.findOne(CourseModule, { id: moduleId });
      if (!module) throw notFound('Module', moduleId);
      const course = await this.editableSyllabus(em, caller, module.courseId);
      const position = (await em.count(Lesson, { moduleId })) + 1;
      const lesson = em.create(Lesson, { courseId: course.id, moduleId, title, content, position });
      course.lessonCount += 1;
      await em.flush();
      recordEvent(em, SOURCE, {
        topic: 'lms.course',
        type: 'lms.course.lesson_added',
        payload: { courseId: course.id, moduleId, lessonId: lesson.id, position },
      });
      return lesson;
    });
  }

  async publish(caller: Identity, id: string): Promise<Course> {
    return this.em.transactional(async (em) => {
      const course = await this.manageable(em, caller, id);
      if (course.status === 'PUBLISHED') return course;
      if (course.status !== 'DRAFT') throw conflict('Only a draft can be published');
      if (course.lessonCount === 0) throw conflict('A course needs at least one lesson to be published');
      Object.assign(course, { status: 'PUBLISHED', publishedAt: new Date() });
      const skills = await skillsOfCourse(em, course.id);
      recordEvent(em, SOURCE, {
        topic: 'lms.course',
        type: 'lms.course.published',
        payload: {
          courseId: course.id,
          instructorId: course.instructorId,
          title: course.title,
          skills,
          lessonCount: course.lessonCount,
        },
      });
      return course;
    });
  }

  async archive(caller: Identity, id: string): Promise<Course> {
    return this.em.transactional(async (em) => {
      const course = await this.manageable(em, caller, id);
      if (course.status === 'ARCHIVED') return course;
      Object.assign(course, { status: 'ARCHIVED', archivedAt: new Date() });
      recordEvent(em, SOURCE, { topic: 'lms.course', type: 'lms.course.archived', payload: { courseId: course.id } });
      return course;
    });
  }

  /** The course if the caller may see it; a draft of someone else's is as good as missing. */
  async visible(caller: Identity, id: string): Promise<Course | null> {
    const course = await this.em.findOne(Course, { id });
    return course && canSeeCourse(caller, course) ? course : null;
  }

  /** The catalogue: published courses, oldest first. */
  async catalogue(filter: CourseFilter | null | undefined, args: ConnectionArgs) {
    const { limit, afterKey } = pageRequest(args);
    const where: FilterQuery<Course> = { status: 'PUBLISHED' };
    const ids: Record<string, unknown> = {};
    if (afterKey) ids.$gt = afterKey;
    if (filter?.skill) {
      const [skill] = parseSlugs([filter.skill], 'skill', 1);
      ids.$in = this.em.createQueryBuilder(CourseSkill).select('courseId').where({ skillSlug: skill }).getKnexQuery();
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
    const rows = await this.em.find(Course, where, { orderBy: { id: 'asc' }, limit: limit + 1 });
    return toConnection(rows, limit, (course) => course.id);
  }

  private replaceSkills(em: SqlEntityManager, courseId: string, skills: string[]): void {
    skills.forEach((skillSlug, position) => em.create(CourseSkill, { courseId, skillSlug, position }));
  }

  /** The course, locked for change, if the caller teaches it or is an admin. */
  private async manageable(em: SqlEntityManager, caller: Identity, id: string): Promise<Course> {
    const course = await em.findOne(Course, { id }, forUpdate(em));
    if (!course || !canSeeCourse(caller, course)) throw notFound('Course', id);
    if (course.instructorId !== caller.userId && !hasRole(caller, 'admin'))
      throw forbidden("Only the course's instructor can change it");
    return course;
  }

  /** Learners' progress is measured against the syllabus, so it changes only before anyone can enroll. */
  private async editableSyllabus(em: SqlEntityManager, caller: Identity, courseId: string): Promise<Course> {
    const course = await this.manageable(em, caller, courseId);
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
