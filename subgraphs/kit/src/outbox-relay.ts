import { LockMode } from '@mikro-orm/core';
import { SpanKind } from '@opentelemetry/api';
import type { Orm } from './database';
import { isPostgres } from './domain';
import { OutboxEvent, toDomainEvent, type DomainEvent, type EventBus } from './events';
import type { Logger } from './logger';
import type { SubgraphMetrics } from './metrics';
import { activeTraceparent, eventTraceContext, inSpan } from './telemetry';

const LEASE_MS = 30_000;

/**
 * Publishes committed outbox rows to the bus, oldest first, at least once: a row is marked published only after the
 * bus took it, so a crash or a bus outage means a later retry (consumers de-duplicate by event id). On PostgreSQL,
 * replicas of the same subgraph share the work with SKIP LOCKED instead of publishing the same rows.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private draining: Promise<number> | undefined;

  constructor(
    private readonly orm: Orm,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly metrics?: SubgraphMetrics,
    private readonly options: { intervalMs: number; batchSize: number } = { intervalMs: 100, batchSize: 200 },
  ) {}

  /** Polls until `stop`; a stopped relay may be started again. */
  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.drain()
        .catch((error: unknown) => this.log.warn({ err: error }, 'outbox relay will retry'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Publishes what is pending now; returns how many events went out. Concurrent calls share one round. */
  drain(): Promise<number> {
    this.draining ??= this.publishPending().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /**
   * Leases a batch of unpublished rows in a short transaction (on PostgreSQL with SKIP LOCKED, so replicas of one
   * subgraph take different rows), then publishes outside any transaction: a consumer in this process opens its own
   * transactions, and must never find this one (MikroORM carries the current transaction in async context).
   */
  private async publishPending(): Promise<number> {
    const now = new Date();
    const rows = await this.orm.em.fork().transactional(async (em) => {
      const batch = await em.find(
        OutboxEvent,
        { publishedAt: null, $or: [{ claimedUntil: null }, { claimedUntil: { $lt: now } }] },
        {
          orderBy: { id: 'asc' },
          limit: this.options.batchSize,
          ...(isPostgres(em) ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {}),
        },
      );
      if (batch.length > 0) {
        await em.nativeUpdate(
          OutboxEvent,
          { id: { $in: batch.map((r) => r.id) } },
          { claimedUntil: new Date(now.getTime() + LEASE_MS) },
        );
      }
      return batch;
    });
    let sent = 0;
    try {
      for (const row of rows) {
        await this.publish(toDomainEvent(row));
        sent += 1;
      }
    } finally {
      const em = this.orm.em.fork();
      if (sent > 0)
        await em.nativeUpdate(
          OutboxEvent,
          { id: { $in: rows.slice(0, sent).map((r) => r.id) } },
          { publishedAt: new Date() },
        );
      // What could not be published is released at once, for the next round.
      if (sent < rows.length)
        await em.nativeUpdate(OutboxEvent, { id: { $in: rows.slice(sent).map((r) => r.id) } }, { claimedUntil: null });
      // Measured after failed rounds too: a bus outage is exactly when the backlog must show (and alert).
      if (this.metrics) {
        this.metrics.eventsPublished.inc(sent);
        this.metrics.outboxPending.set(await em.count(OutboxEvent, { publishedAt: null }));
      }
    }
    return sent;
  }

  /**
   * One event, in a producer span that continues the trace of the transaction that recorded it. The event then
   * carries the publish span's context, so consumers and subscription deliveries hang under it: one trace from the
   * request through the relay to every reaction. Each event gets its own span, so no span ever has two parents.
   */
  private publish(recorded: DomainEvent): Promise<void> {
    return inSpan(
      `publish ${recorded.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.operation.type': 'send',
          'messaging.destination.name': recorded.topic,
          'messaging.message.id': recorded.id,
          'azora.service': recorded.source,
        },
      },
      eventTraceContext(recorded),
      async () => {
        const publishedAt = new Date();
        const traceparent = activeTraceparent();
        await this.bus.publish({
          ...recorded,
          publishedAt: publishedAt.toISOString(),
          ...(traceparent ? { traceparent } : {}),
        });
        this.metrics?.publishLag.observe(Math.max(0, publishedAt.getTime() - Date.parse(recorded.occurredAt)) / 1000);
      },
    );
  }

  /** Stops polling after the current round, then tries one last drain. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.drain().catch(() => undefined);
  }
}
