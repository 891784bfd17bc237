import { LockMode } from '@mikro-orm/core';
import type { Orm, SqlEntityManager } from './database';
import { OutboxEvent, toDomainEvent, type EventBus } from './events';
import type { Logger } from './logger';
import type { SubgraphMetrics } from './metrics';

/**
 * Publishes committed outbox rows to the bus, oldest first, at least once: a row is marked published only after the
 * bus took it, so a crash or a bus outage means a later retry (consumers de-duplicate by event id). On PostgreSQL,
 * replicas of the same subgraph share the work with SKIP LOCKED instead of publishing the same rows.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly orm: Orm,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly metrics?: SubgraphMetrics,
    private readonly options: { intervalMs: number; batchSize: number } = { intervalMs: 100, batchSize: 200 },
  ) {}

  start(): void {
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

  /** Publishes what is pending now; returns how many events went out. */
  async drain(): Promise<number> {
    const postgres = this.orm.config.get('driver')?.name === 'PostgreSqlDriver';
    // PostgreSQL replicas share the rows under SKIP LOCKED, which needs a transaction. SQLite has one process and one
    // connection: holding it while in-process consumers run would deadlock with a subgraph whose consumer waits for it.
    const published = postgres
      ? await this.orm.em.fork().transactional((em) => this.publishBatch(em, LockMode.PESSIMISTIC_PARTIAL_WRITE))
      : await this.publishBatch(this.orm.em.fork());
    if (this.metrics) {
      this.metrics.eventsPublished.inc(published);
      this.metrics.outboxPending.set(await this.orm.em.fork().count(OutboxEvent, { publishedAt: null }));
    }
    return published;
  }

  private async publishBatch(em: SqlEntityManager, lockMode?: LockMode.PESSIMISTIC_PARTIAL_WRITE): Promise<number> {
    const rows = await em.find(
      OutboxEvent,
      { publishedAt: null },
      { orderBy: { id: 'asc' }, limit: this.options.batchSize, ...(lockMode ? { lockMode } : {}) },
    );
    let sent = 0;
    try {
      for (const row of rows) {
        await this.bus.publish(toDomainEvent(row));
        sent += 1;
      }
    } finally {
      if (sent > 0) {
        const ids = rows.slice(0, sent).map((r) => r.id);
        await em.nativeUpdate(OutboxEvent, { id: { $in: ids } }, { publishedAt: new Date() });
      }
    }
    return sent;
  }

  /** Stops polling after the current round, then tries one last drain. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.drain().catch(() => undefined);
  }
}
