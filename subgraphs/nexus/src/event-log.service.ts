import {
  badInput,
  decodeCursor,
  encodeCursor,
  pageRequest,
  toConnection,
  type ConnectionArgs,
  type DomainEvent,
  type EventBus,
  type SqlEntityManager,
} from '@azora/kit';
import { LoggedEvent } from './entities/logged-event.entity';

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

/** The durable log: reading it by cursor, and following it live after a replay. */
export class EventLogService {
  constructor(private readonly em: SqlEntityManager) {}

  async page(args: ConnectionArgs & { topic?: string | null }) {
    const { limit, afterKey } = pageRequest(args);
    const rows = await this.em.find(
      LoggedEvent,
      { ...(args.topic ? { topic: args.topic } : {}), ...(afterKey ? { id: { $gt: afterKey } } : {}) },
      { orderBy: { id: 'asc' }, limit: limit + 1 },
    );
    return toConnection(rows, limit, (event) => event.id);
  }

  /**
   * Everything after the cursor, then live. The live feed is subscribed first and buffered while the log is read, so
   * an event committed during the replay is neither missed nor delivered twice (ids are ordered; anything at or
   * before the last replayed id is dropped). Every live event is logged before it is delivered, so the router's
   * follow-up read by id finds it.
   */
  follow(bus: EventBus, topics: string[], after: string | null | undefined): AsyncIterableIterator<{ id: string }> {
    const invalid = topics.find((t) => !TOPIC.test(t));
    if (invalid !== undefined || topics.length === 0 || topics.length > 20) {
      throw badInput(invalid !== undefined ? `"${invalid}" is not a topic` : 'Follow 1 to 20 topics', 'topics');
    }
    let lastId = after ? decodeCursor(after) : null;
    const live: DomainEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const unsubscribe = bus.subscribe(topics, (event) => {
      live.push(event);
      wake?.();
    });
    let replaying = lastId !== null;
    const replayed: string[] = [];
    const iterator: AsyncIterableIterator<{ id: string }> = {
      next: async () => {
        while (!done) {
          if (replaying) {
            if (replayed.length === 0) {
              const rows = await this.em
                .fork()
                .find(
                  LoggedEvent,
                  { topic: { $in: topics }, id: { $gt: lastId! } },
                  { orderBy: { id: 'asc' }, limit: REPLAY_BATCH },
                );
              replayed.push(...rows.map((row) => row.id));
              if (rows.length === 0) replaying = false;
            }
            const id = replayed.shift();
            if (id) {
              lastId = id;
              return { value: { id }, done: false };
            }
            continue;
          }
          const event = live.shift();
          if (!event) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          if (lastId !== null && event.id <= lastId) continue;
          await logEvent(this.em.fork(), event);
          lastId = event.id;
          return { value: { id: event.id }, done: false };
        }
        return { value: undefined, done: true };
      },
      return: async () => {
        done = true;
        unsubscribe();
        wake?.();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

export const cursorOf = (event: { id: string }) => encodeCursor(event.id);
