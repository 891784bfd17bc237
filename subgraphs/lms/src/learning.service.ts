import { randomInt } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { conflict, forbidden, forUpdate, notFound, personId, transaction, type SqlEntityManager } from '@azora/kit';
import { skillRef, skillsOfCourse } from './course.service';
import { Course } from './entities/course.entity';
import { Certificate, Enrollment, LessonCompletion } from './entities/enrollment.entity';
import { Lesson } from './entities/syllabus.entity';
import type { Context } from './schema';

// Crockford's base32 without look-alikes (no I, L, O, U): codes are read off paper and typed in.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A certificate code such as `AZ-7K2M-Q9XD-4TPW`: 60 random bits, so codes cannot be guessed. */
export function certificateCode(): string {
  const group = () => Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return `AZ-${group()}-${group()}-${group()}`;
}

/** Learners' side of LMS: enrolling, completing lessons, progress, and the certificate the last lesson earns. */
export class LearningService {
  constructor(private readonly ctx: Context) {}

  /** Enrolls the caller in a published course; enrolling again returns the same enrollment. */
  async enroll(courseId: string): Promise<Enrollment> {
    const learnerId = personId(this.ctx.identity);
    const { em } = this.ctx;
    const course = await em.findOne(Course, { id: courseId });
    if (!course || course.status === 'DRAFT') throw notFound('Course', courseId);
    const existing = await em.findOne(Enrollment, { courseId, learnerId });
    if (existing) return existing;
    if (course.status !== 'PUBLISHED') throw conflict('This course is archived and takes no new learners');
    // Completing a course verifies its skills in Forge: an instructor must not certify themself.
    if (course.instructorId === learnerId) throw forbidden('Instructors cannot enroll in their own course');
    try {
      return await transaction(em, async (tx) => {
        const enrollment = tx.create(Enrollment, { courseId, learnerId });
        await tx.flush();
        this.ctx.events.record('lms.enrollment.created', { enrollmentId: enrollment.id, courseId, learnerId });
        return enrollment;
      });
    } catch (error) {
      // A concurrent enroll of the same learner won: theirs is this one.
      if (error instanceof UniqueConstraintViolationException)
        return em.fork().findOneOrFail(Enrollment, { courseId, learnerId });
      throw error;
    }
  }

  /**
   * Marks a lesson done. Under the enrollment's lock, so of two concurrent completions only one sees the course
   * finished: the certificate is issued exactly once (and the unique enrollment id on certificates says so too).
   */
  async completeLesson(lessonId: string): Promise<Enrollment> {
    const learnerId = personId(this.ctx.identity);
    const lesson = await this.ctx.em.findOne(Lesson, { id: lessonId });
    if (!lesson) throw notFound('Lesson', lessonId);
    return transaction(this.ctx.em, async (em) => {
      const enrollment = await em.findOne(Enrollment, { courseId: lesson.courseId, learnerId }, forUpdate(em));
      if (!enrollment) throw forbidden('Enroll in the course first');
      if (await em.findOne(LessonCompletion, { enrollmentId: enrollment.id, lessonId })) return enrollment;
      em.create(LessonCompletion, { enrollmentId: enrollment.id, lessonId, completedAt: new Date() });
      enrollment.completedLessons += 1;
      this.ctx.events.record('lms.lesson.completed', {
        enrollmentId: enrollment.id,
        courseId: lesson.courseId,
        learnerId,
        lessonId,
      });
      const course = await em.findOneOrFail(Course, { id: lesson.courseId });
      if (enrollment.completedLessons >= course.lessonCount && !enrollment.completedAt) {
        await this.issueCertificate(em, enrollment, course);
      }
      return enrollment;
    });
  }

  /** The share of the course's lessons done, from 0 to 1 (a course without lessons counts as not started). */
  async progress(enrollment: Enrollment): Promise<number> {
    const course = await this.ctx.loaders.courseById.load(enrollment.courseId);
    return course && course.lessonCount > 0 ? Math.min(1, enrollment.completedLessons / course.lessonCount) : 0;
  }

  /** The lessons done, in the order they were done. */
  async completedLessonIds(enrollment: Enrollment): Promise<string[]> {
    return (await this.ctx.loaders.completionsByEnrollment.load(enrollment.id)).map((c) => c.lessonId);
  }

  certificateOf(enrollment: Enrollment): Promise<Certificate | null> {
    return this.ctx.loaders.certificateByEnrollment.load(enrollment.id);
  }

  /** A person's enrollments (the shield lets only that person and admins read them). */
  enrollmentsOf(learnerId: string): Promise<Enrollment[]> {
    return this.ctx.loaders.enrollmentsByLearner.load(learnerId);
  }

  /** A certificate by id: certificates are public, anyone may check one. */
  certificate(id: string): Promise<Certificate | null> {
    return this.ctx.loaders.certificateById.load(id);
  }

  /** The skills certified, as copied when it was issued, as Forge's `Skill` references. */
  skillsOf(certificate: Certificate) {
    return certificate.skills.map(skillRef);
  }

  /** The certificate with this code, if there is one. Codes are compared case-insensitively, as people type them. */
  verify(code: string): Promise<Certificate | null> {
    const normalized = code.trim().toUpperCase();
    return /^AZ(-[0-9A-Z]{4}){3}$/.test(normalized)
      ? this.ctx.em.findOne(Certificate, { code: normalized })
      : Promise.resolve(null);
  }

  private async issueCertificate(em: SqlEntityManager, enrollment: Enrollment, course: Course): Promise<Certificate> {
    enrollment.completedAt = new Date();
    const skills = await skillsOfCourse(em, course.id);
    const certificate = em.create(Certificate, {
      code: certificateCode(),
      enrollmentId: enrollment.id,
      courseId: course.id,
      learnerId: enrollment.learnerId,
      courseTitle: course.title,
      skills,
      issuedAt: enrollment.completedAt,
    });
    await em.flush();
    this.ctx.events.record('lms.enrollment.completed', {
      enrollmentId: enrollment.id,
      courseId: course.id,
      learnerId: enrollment.learnerId,
    });
    this.ctx.events.record('lms.certificate.issued', {
      certificateId: certificate.id,
      code: certificate.code,
      learnerId: certificate.learnerId,
      courseId: course.id,
      courseTitle: certificate.courseTitle,
      skills,
    });
    return certificate;
  }
}
