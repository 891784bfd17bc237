import { z } from 'zod';
import { event } from '@azora/kit';

/**
 * The events Aegis records, by type, with their payload schemas. Aegis validates what it records against them, and a
 * consumer in another subgraph reads with the same ones (`readEvent(aegisEvents, 'aegis.user.signed_up', …)`).
 */
export const aegisEvents = {
  // Only the id: the rest of a user (email, name) is personal data that stays in Aegis, read through the graph.
  'aegis.user.signed_up': event('aegis.user', z.object({ userId: z.string().min(1) })),
};
