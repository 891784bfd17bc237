import { randomInt } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  conflict,
  forbidden,
  forUpdate,
  notFound,
  personId,
  recordEvent,
  type Identity,
  type SqlEntityManager,
} from '@azora/kit';
import { skillsOfCourse, SOURCE } from './course.service';
import { Course } from './entities/course.entity';
import { Certificate, Enrollment, LessonCompletion } from './entities/enrollment.entity';
import { Lesson } from './entities/syllabus.entity';

// Crockford's base32 without look-alikes (no I, L, O, U): codes are read off paper and typed in.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A certificate code such as `AZ-7K2M-Q9XD-4TPW`: 60 random bits, so codes cannot be guessed. */
export function certificateCode(): string {
  const group = () => Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return `AZ-${group()}-${group()}-${group()}`;
}

/** Learners' side of LMS: enrolling, completing lessons, and the certificate the last lesson earns. */
export class LearningService {
  constructor(private readonly em: SqlEntityManager) {}

  /** Enrolls the caller in a published course; enrolling again returns the same enrollment. */
  async enroll(caller: Identity, courseId: string): Promise<Enrollment> {
    const learnerId = personId(caller);
    const course = await this.em.findOne(Course, { id: courseId });
    if (!course || course.status === 'DRAFT') throw notFound('Course', courseId);
    const existing = await this.em.findOne(Enrollment, { courseId, learnerId });
    if (existing) return existing;
    if (course.status !== 'PUBLISHED') throw conflict('This course is archived and takes no new learners');
    // Completing a course verifies its skills in Forge: an instructor must not certify themself.
    if (course.instructorId === learnerId) throw forbidden('Instructors cannot enroll in their own course');
    try {
      return await this.em.transactional(async (em) => {
        const enrollment = em.create(Enrollment, { courseId, learnerId });
        await em.flush();
        recordEvent(em, SOURCE, {
          topic: 'lms.enrollment',
          type: 'lms.enrollment.created',
          payload: { enrollmentId: enrollment.id, courseId, learnerId },
        });
        return enrollment;
      });
    } catch (error) {
      // A concurrent enroll of the same learner won: theirs is this one.
      if (error instanceof UniqueConstraintViolationException)
        return this.em.fork().findOneOrFail(Enrollment, { courseId, learnerId });
      throw error;
    }
  }

  /**
   * Marks a lesson done. Under the enrollment's lock, so of two concurrent completions only one sees the course
   * finished: the certificate is issued exactly once (and the unique enrollment id on certificates says so too).
   */
  async completeLesson(caller: Identity, lessonId: string): Promise<Enrollment> {
    const learnerId = personId(caller);
    const lesson = await this.em.findOne(Lesson, { id: lessonId });
    if (!lesson) throw notFound('Lesson', lessonId);
    return this.em.transactional(async (em) => {
      const enrollment = await em.findOne(Enrollment, { courseId: lesson.courseId, learnerId }, forUpdate(em));
      if (!enrollment) throw forbidden('Enroll in the course first');
      if (await em.findOne(LessonCompletion, { enrollmentId: enrollment.id, lessonId })) return enrollment;
      em.create(LessonCompletion, { enrollmentId: enrollment.id, lessonId, completedAt: new Date() });
      enrollment.completedLessons += 1;
      recordEvent(em, SOURCE, {
        topic: 'lms.enrollment',
        type: 'lms.lesson.completed',
        payload: { enrollmentId: enrollment.id, courseId: lesson.courseId, learnerId, lessonId },
      });
      const course = await em.findOneOrFail(Course, { id: lesson.courseId });
      if (enrollment.completedLessons >= course.lessonCount && !enrollment.completedAt) {
        await this.issueCertificate(em, enrollment, course);
      }
      return enrollment;
    });
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
    recordEvent(em, SOURCE, {
      topic: 'lms.enrollment',
      type: 'lms.enrollment.completed',
      payload: { enrollmentId: enrollment.id, courseId: course.id, learnerId: enrollment.learnerId },
    });
    recordEvent(em, SOURCE, {
      topic: 'lms.certificate',
      type: 'lms.certificate.issued',
      payload: {
        certificateId: certificate.id,
        code: certificate.code,
        learnerId: certificate.learnerId,
        courseId: course.id,
        courseTitle: certificate.courseTitle,
        skills,
      },
    });
    return certificate;
  }

  /** The certificate with this code, if there is one. Codes are compared case-insensitively, as people type them. */
  verify(code: string): Promise<Certificate | null> {
    const normalized = code.trim().toUpperCase();
    return /^AZ(-[0-9A-Z]{4}){3}$/.test(normalized)
      ? this.em.findOne(Certificate, { code: normalized })
      : Promise.resolve(null);
  }
}
