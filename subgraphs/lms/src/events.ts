import { z } from 'zod';
import { event } from '@azora/kit';

const id = z.string().min(1);
const slugs = z.array(z.string());

/**
 * The events LMS records, by type, with their payload schemas. LMS validates what it records against them, and a
 * consumer in another subgraph reads with the same ones (`readEvent(lmsEvents, 'lms.certificate.issued', …)`).
 */
export const lmsEvents = {
  'lms.course.created': event(
    'lms.course',
    z.object({ courseId: id, instructorId: id, title: z.string(), skills: slugs }),
  ),
  'lms.course.updated': event('lms.course', z.object({ courseId: id, changed: z.array(z.string()) })),
  'lms.course.module_added': event('lms.course', z.object({ courseId: id, moduleId: id, position: z.number().int() })),
  'lms.course.lesson_added': event(
    'lms.course',
    z.object({ courseId: id, moduleId: id, lessonId: id, position: z.number().int() }),
  ),
  'lms.course.published': event(
    'lms.course',
    z.object({ courseId: id, instructorId: id, title: z.string(), skills: slugs, lessonCount: z.number().int() }),
  ),
  'lms.course.archived': event('lms.course', z.object({ courseId: id })),
  'lms.enrollment.created': event('lms.enrollment', z.object({ enrollmentId: id, courseId: id, learnerId: id })),
  'lms.lesson.completed': event(
    'lms.enrollment',
    z.object({ enrollmentId: id, courseId: id, learnerId: id, lessonId: id }),
  ),
  'lms.enrollment.completed': event('lms.enrollment', z.object({ enrollmentId: id, courseId: id, learnerId: id })),
  'lms.certificate.issued': event(
    'lms.certificate',
    z.object({
      certificateId: id,
      code: z.string(),
      learnerId: id,
      courseId: id,
      courseTitle: z.string(),
      skills: slugs,
    }),
  ),
};
