import { UniqueConstraintViolationException, defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { Orm, SqlEntityManager } from './database';
import type { DomainEvent, EventBus } from './events';
import type { Identity } from './identity';
import { SpanKind } from '@opentelemetry/api';
import type { Logger } from './logger';
import type { SubgraphMetrics } from './metrics';
import { eventTraceContext, inSpan } from './telemetry';

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

/** Who a consumer acts as when it calls its subgraph's services: the subgraph itself, not a person. */
export const CONSUMER_IDENTITY: Identity = Object.freeze({
  kind: 'service',
  userId: null,
  roles: [],
  scopes: [],
}) as Identity;

/** The request context of a consumer's subgraph, bound to the consumer's transaction (`as(identity?)`). */
export type ConsumerContextFor<Context> = (identity?: Identity) => Context;

/** A subgraph's reaction to other domains' events, e.g. Forge granting skills on `lms.certificate.issued`. */
export interface EventConsumer<Context = unknown> {
  /** Unique within the platform, e.g. `forge.skills`; names its durable group on the bus. */
  name: string;
  topics: string[];
  /**
   * Runs in one transaction with the record that the event was handled, so a crash either does both or neither.
   * `as()` gives the subgraph's request context on that same transaction (acting as `CONSUMER_IDENTITY` unless told
   * otherwise), so the consumer calls its services as a resolver would: `as().services.skills.grant(…)`; their
   * `transaction` joins the consumer's, and `ctx.events.record` continues a saga in it.
   */
  handle(em: SqlEntityManager, event: DomainEvent, log: Logger, as: ConsumerContextFor<Context>): Promise<void>;
}

/** Builds the subgraph's request context on a consumer's transaction (the kit passes it when it starts consumers). */
export type ConsumerContextFactory = (em: SqlEntityManager, identity: Identity, event: DomainEvent) => unknown;

const noContext: ConsumerContextFactory = () => {
  throw new Error('this consumer was started without its subgraph, so it has no request context');
};

/**
 * Handles one event exactly once per consumer: the processed-event row and the consumer's writes commit together, and
 * a duplicate (the bus delivers at least once) finds the row and does nothing. Returns false for a duplicate.
 */
export async function consumeOnce(
  orm: Orm,
  consumer: EventConsumer,
  event: DomainEvent,
  log: Logger,
  contextFor: ConsumerContextFactory = noContext,
): Promise<boolean> {
  // A child of the event's publish span: the handling has exactly one cause, so it belongs to that event's trace (its
  // SQL, and any event it records to continue a saga, too).
  return inSpan(
    `process ${event.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.operation.type': 'process',
        'messaging.destination.name': event.topic,
        'messaging.message.id': event.id,
        'messaging.consumer.group.name': consumer.name,
      },
    },
    eventTraceContext(event),
    async (span) => {
      try {
        return await orm.em.fork().transactional(async (em) => {
          if (await em.findOne(ProcessedEvent, { consumer: consumer.name, eventId: event.id })) return false;
          em.create(ProcessedEvent, { consumer: consumer.name, eventId: event.id, processedAt: new Date() });
          await em.flush();
          const as = (identity: Identity = CONSUMER_IDENTITY) => contextFor(em, identity, event);
          await consumer.handle(em, event, log.child({ consumer: consumer.name, eventId: event.id }), as);
          return true;
        });
      } catch (error) {
        // A concurrent delivery of the same event won the insert: that one handles it.
        if (error instanceof UniqueConstraintViolationException) {
          span.setAttribute('azora.duplicate', true);
          return false;
        }
        throw error;
      }
    },
  );
}

/**
 * Subscribes every consumer to the bus (durably, by its name); failures are retried by the bus. Each first handling
 * records the lag from publish to handled, and each failure is counted.
 */
export function startConsumers(
  orm: Orm,
  bus: EventBus,
  consumers: EventConsumer[],
  log: Logger,
  metrics: SubgraphMetrics,
  contextFor: ConsumerContextFactory = noContext,
): () => void {
  for (const consumer of consumers) {
    // Exported from the start, at zero: a dashboard or alert finds the series before the first event.
    metrics.consumerFailures.inc({ consumer: consumer.name }, 0);
    metrics.consumerLag.zero({ consumer: consumer.name });
  }
  const unsubscribes = consumers.map((consumer) =>
    bus.subscribe(
      consumer.topics,
      async (event) => {
        let handled: boolean;
        try {
          handled = await consumeOnce(orm, consumer, event, log, contextFor);
        } catch (error) {
          metrics.consumerFailures.inc({ consumer: consumer.name });
          throw error;
        }
        if (handled && event.publishedAt) {
          metrics.consumerLag.observe(
            { consumer: consumer.name },
            Math.max(0, Date.now() - Date.parse(event.publishedAt)) / 1000,
          );
        }
      },
      { group: consumer.name },
    ),
  );
  return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
}
