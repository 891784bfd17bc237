import {
  badInput,
  decodeCursor,
  encodeCursor,
  eventStream,
  pageRequest,
  toConnection,
  type ConnectionArgs,
  type DomainEvent,
  type SqlEntityManager,
} from '@azora/kit';
import { LoggedEvent } from './entities/logged-event.entity';
import type { Context } from './schema';

const TOPIC = /^[a-z][a-z0-9._-]{0,119}$/;
const REPLAY_BATCH = 200;

/** Stores an event once, whoever delivers it first (the log consumer or a live feed). */
export async function logEvent(em: SqlEntityManager, event: DomainEvent): Promise<void> {
  await em.upsert(
    LoggedEvent,
    {
      id: event.id,
      topic: event.topic,
      type: event.type,
      source: event.source,
      payload: event.payload,
      occurredAt: new Date(event.occurredAt),
      loggedAt: new Date(),
    },
    { onConflictAction: 'ignore' },
  );
}

const asDomainEvent = (row: LoggedEvent): DomainEvent => ({
  id: row.id,
  topic: row.topic,
  type: row.type,
  source: row.source,
  payload: row.payload,
  occurredAt: row.occurredAt.toISOString(),
});

/** The durable log: reading it by cursor, and following it live after a replay. */
export class EventLogService {
  constructor(private readonly ctx: Context) {}

  async page(args: ConnectionArgs & { topic?: string | null }) {
    const { limit, afterKey } = pageRequest(args);
    const rows = await this.ctx.em.find(
      LoggedEvent,
      { ...(args.topic ? { topic: args.topic } : {}), ...(afterKey ? { id: { $gt: afterKey } } : {}) },
      { orderBy: { id: 'asc' }, limit: limit + 1 },
    );
    return toConnection(rows, limit, (event) => event.id);
  }

  byId(id: string): Promise<LoggedEvent | null> {
    return this.ctx.loaders.eventById.load(id);
  }

  /**
   * Everything after the cursor, then live, through the kit's event stream (bounded, de-duplicated, ended by the
   * client leaving). Every live event is logged before it is delivered, so the router's follow-up read by id finds
   * it even before the log consumer has stored it.
   */
  follow(topics: readonly string[], after: string | null | undefined): AsyncIterableIterator<{ id: string }> {
    const invalid = topics.find((t) => !TOPIC.test(t));
    if (invalid !== undefined || topics.length === 0 || topics.length > 20) {
      throw badInput(invalid !== undefined ? `"${invalid}" is not a topic` : 'Follow 1 to 20 topics', 'topics');
    }
    const replay = after
      ? {
          after: decodeCursor(after),
          page: async (afterId: string) =>
            (
              await this.ctx.em
                .fork()
                .find(
                  LoggedEvent,
                  { topic: { $in: [...topics] }, id: { $gt: afterId } },
                  { orderBy: { id: 'asc' }, limit: REPLAY_BATCH },
                )
            ).map(asDomainEvent),
        }
      : undefined;
    return eventStream(
      this.ctx.bus,
      [...topics],
      async (event, { replayed }) => {
        if (!replayed) await logEvent(this.ctx.em.fork(), event);
        return { id: event.id };
      },
      { replay },
    );
  }

  cursorOf(event: { id: string }): string {
    return encodeCursor(event.id);
  }
}
