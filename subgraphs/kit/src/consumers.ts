import { UniqueConstraintViolationException, defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Orm, SqlEntityManager } from './database';
import type { DomainEvent, EventBus } from './events';
import type { Logger } from './logger';

/** Which events each consumer has handled: the de-duplication behind at-least-once delivery. */
export const ProcessedEvent = defineEntity({
  name: 'ProcessedEvent',
  tableName: 'processed_events',
  properties: {
    consumer: p.string().length(80).primary(),
    eventId: p.string().length(36).primary(),
    processedAt: p.datetime(),
  },
});
export type ProcessedEvent = InferEntity<typeof ProcessedEvent>;

/** A subgraph's reaction to other domains' events, e.g. Forge granting skills on `lms.certificate.issued`. */
export interface EventConsumer {
  /** Unique within the platform, e.g. `forge.skills`; names its durable group on the bus. */
  name: string;
  topics: string[];
  /**
   * Runs in one transaction with the record that the event was handled, so a crash either does both or neither;
   * write outbox events through the same `em` to continue a saga.
   */
  handle(em: SqlEntityManager, event: DomainEvent, log: Logger): Promise<void>;
}

/**
 * Handles one event exactly once per consumer: the processed-event row and the consumer's writes commit together, and
 * a duplicate (the bus delivers at least once) finds the row and does nothing. Returns false for a duplicate.
 */
export async function consumeOnce(orm: Orm, consumer: EventConsumer, event: DomainEvent, log: Logger): Promise<boolean> {
  try {
    return await orm.em.fork().transactional(async (em) => {
      if (await em.findOne(ProcessedEvent, { consumer: consumer.name, eventId: event.id })) return false;
      em.create(ProcessedEvent, { consumer: consumer.name, eventId: event.id, processedAt: new Date() });
      await em.flush();
      await consumer.handle(em, event, log.child({ consumer: consumer.name, eventId: event.id }));
      return true;
    });
  } catch (error) {
    // A concurrent delivery of the same event won the insert: that one handles it.
    if (error instanceof UniqueConstraintViolationException) return false;
    throw error;
  }
}

/** Subscribes every consumer to the bus (durably, by its name); failures are retried by the bus. */
export function startConsumers(orm: Orm, bus: EventBus, consumers: EventConsumer[], log: Logger): () => void {
  const unsubscribes = consumers.map((consumer) =>
    bus.subscribe(consumer.topics, (event) => consumeOnce(orm, consumer, event, log).then(() => undefined), { group: consumer.name }),
  );
  return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
}
