import { EventEmitter } from 'node:events';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { z } from 'zod';
import { idProperty } from './entity';
import { newId } from './ids';
import type { SqlEntityManager } from './database';
import type { Logger } from './logger';
import { activeTraceparent } from './telemetry';
import { currentTransaction } from './transaction';

/** A domain event: something that happened in one subgraph that others may react to. */
export interface DomainEvent<Payload = Record<string, unknown>> {
  /** Unique and time-ordered (UUIDv7); consumers de-duplicate by it. */
  id: string;
  /** The stream it belongs to, e.g. `mint.transfer`; subscribers choose topics. */
  topic: string;
  /** What happened, e.g. `mint.transfer.completed`. */
  type: string;
  /** The subgraph that emitted it. */
  source: string;
  payload: Payload;
  /** ISO-8601. */
  occurredAt: string;
  /**
   * W3C trace context (`traceparent`) the event continues: recorded from the transaction that wrote it, replaced by
   * the relay's publish span when it is published. Absent when tracing is off.
   */
  traceparent?: string;
  /** ISO-8601: when the outbox relay handed it to the bus (for the publish → handled lag). */
  publishedAt?: string;
}

export type EventHandler = (event: DomainEvent) => void | Promise<void>;

/** Where domain events travel between subgraphs and the router. */
export interface EventBus {
  /** Resolves once the bus has the event (and, in-process, once every handler has run): the outbox may then mark it. */
  publish(event: DomainEvent): Promise<void>;
  /**
   * `topics` empty means every topic. With a `group`, delivery is durable and shared: each event reaches one member of
   * the group, and is delivered again if its handler fails. Without one, every subscriber sees every event while it
   * is subscribed (live feeds). Returns the unsubscribe function.
   */
  subscribe(topics: string[], handler: EventHandler, options?: { group?: string }): () => void;
  /**
   * Resolves once live subscribers receive every event published from now on (a bus that reads from a server starts
   * following it asynchronously). Without it, a live subscription listens as soon as `subscribe` returns.
   */
  listening?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The embedded default: delivery inside one process (npm start runs the whole platform in one). `publish` waits for
 * the group (durable) handlers, so a failing one makes the outbox relay publish the event again; live subscribers
 * are told without waiting, and their failures stay theirs.
 */
export class InProcessEventBus implements EventBus {
  private readonly live = new EventEmitter().setMaxListeners(0);
  private readonly groups = new Map<string, { topics: string[]; handlers: EventHandler[]; next: number }>();

  async publish(event: DomainEvent): Promise<void> {
    this.live.emit('event', event);
    const failures: unknown[] = [];
    for (const [name, group] of this.groups) {
      if (group.topics.length > 0 && !group.topics.includes(event.topic)) continue;
      if (group.handlers.length === 0) {
        // A durable group whose every member stopped (its subgraph is restarting) keeps its events, as a broker would:
        // publishing fails, so the outbox publishes the event again until a member is back.
        failures.push(new Error(`no member of group ${name} is running`));
        continue;
      }
      // One member of the group handles each event, in turn.
      const handler = group.handlers[group.next++ % group.handlers.length]!;
      await Promise.resolve()
        .then(() => handler(event))
        .catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) {
      const reasons = failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; ');
      throw new AggregateError(failures, `${failures.length} consumer(s) failed on event ${event.id}: ${reasons}`);
    }
  }

  subscribe(topics: string[], handler: EventHandler, options: { group?: string } = {}): () => void {
    if (options.group) {
      const group = this.groups.get(options.group) ?? { topics, handlers: [], next: 0 };
      group.handlers.push(handler);
      this.groups.set(options.group, group);
      return () => {
        group.handlers = group.handlers.filter((h) => h !== handler);
      };
    }
    const listener = (event: DomainEvent) => {
      if (topics.length > 0 && !topics.includes(event.topic)) return;
      queueMicrotask(() => {
        void Promise.resolve()
          .then(() => handler(event))
          .catch(() => undefined);
      });
    };
    this.live.on('event', listener);
    return () => this.live.off('event', listener);
  }

  async close(): Promise<void> {
    this.live.removeAllListeners();
    this.groups.clear();
  }
}

/**
 * The transactional outbox: events are rows written in the same transaction as the change they describe, so a
 * committed change always has its event and a rolled-back one never does. The relay publishes them afterwards.
 */
export const OutboxEvent = defineEntity({
  name: 'OutboxEvent',
  tableName: 'outbox_events',
  properties: {
    id: idProperty(),
    topic: p.string().length(120),
    type: p.string().length(120),
    source: p.string().length(60),
    payload: p.json<Record<string, unknown>>(),
    occurredAt: p.datetime(),
    publishedAt: p.datetime().nullable().index(),
    /** A relay's lease on the row while it publishes; another relay takes it over once it lapses. */
    claimedUntil: p.datetime().nullable(),
    /** The W3C `traceparent` of the transaction that recorded the event (null when tracing is off). */
    traceparent: p.string().length(55).nullable(),
  },
});
export type OutboxEvent = InferEntity<typeof OutboxEvent>;

/** Records an event in the caller's unit of work; it is written by the caller's flush or transaction. */
export function recordEvent(
  em: SqlEntityManager,
  source: string,
  event: { topic: string; type: string; payload: Record<string, unknown> },
): DomainEvent {
  const row = em.create(OutboxEvent, {
    id: newId(),
    ...event,
    source,
    occurredAt: new Date(),
    publishedAt: null,
    claimedUntil: null,
    traceparent: activeTraceparent() ?? null,
  });
  return toDomainEvent(row);
}

export const toDomainEvent = (row: OutboxEvent): DomainEvent => ({
  id: row.id,
  topic: row.topic,
  type: row.type,
  source: row.source,
  payload: row.payload,
  occurredAt: row.occurredAt.toISOString(),
  ...(row.traceparent ? { traceparent: row.traceparent } : {}),
});

/** One kind of event a subgraph records: the topic it travels on and its payload's schema. */
export interface EventSpec<Payload extends z.ZodType = z.ZodType> {
  topic: string;
  payload: Payload;
}

/** A subgraph's events by type, e.g. `{ 'lms.course.created': event('lms.course', z.object({…})) }`. */
export type EventCatalog = Record<string, EventSpec>;

/** Declares one kind of event (in a catalogue that `defineSubgraph` takes as `context.events`). */
export function event<Payload extends z.ZodType>(topic: string, payload: Payload): EventSpec<Payload> {
  return { topic, payload };
}

/** The payload an event of this type carries, as its consumers read it. */
export type EventPayload<Catalog extends EventCatalog, Type extends keyof Catalog> = z.output<Catalog[Type]['payload']>;

/** `ctx.events`: records this subgraph's events, with its name as the source. */
export interface EventRecorder<Catalog extends EventCatalog> {
  /**
   * Validates the payload against the type's schema and records the event in the current `transaction` (else in the
   * request's unit of work, written by its next flush). A payload that does not fit is a bug: it throws.
   */
  record<Type extends keyof Catalog & string>(type: Type, payload: z.input<Catalog[Type]['payload']>): DomainEvent;
}

/** The recorder behind `ctx.events`; `em` is used when no `transaction` is running. */
export function eventRecorder<Catalog extends EventCatalog>(
  source: string,
  catalog: Catalog,
  em: SqlEntityManager,
): EventRecorder<Catalog> {
  return {
    record(type, payload) {
      const spec = catalog[type];
      if (!spec) throw new Error(`${source} declares no event ${type}`);
      const parsed = spec.payload.parse(payload) as Record<string, unknown>;
      return recordEvent(currentTransaction() ?? em, source, { topic: spec.topic, type, payload: parsed });
    },
  };
}

/**
 * A consumer's read of another subgraph's event with the producer's own schema: the payload, or null when the event
 * is of another type, or its payload is one this version cannot read (logged; retrying would never help).
 */
export function readEvent<Catalog extends EventCatalog, Type extends keyof Catalog & string>(
  catalog: Catalog,
  type: Type,
  event: DomainEvent,
  log: Logger,
): EventPayload<Catalog, Type> | null {
  if (event.type !== type) return null;
  const parsed = catalog[type]!.payload.safeParse(event.payload);
  if (!parsed.success)
    log.error({ type, issues: parsed.error.issues }, 'event payload this consumer cannot read; skipped');
  return parsed.success ? (parsed.data as EventPayload<Catalog, Type>) : null;
}
