import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { DomainEvent, EventBus, EventHandler } from './events';
import type { Logger } from './logger';

export const DEFAULT_EVENT_STREAM = 'azora:events';
const BLOCK_MS = 2_000;
const RETRY_PENDING_EVERY_MS = 5_000;
const CLAIM_IDLE_MS = 30_000;

type StreamEntries = [id: string, fields: string[]][];
const eventOf = (fields: string[]): DomainEvent => JSON.parse(fields[fields.indexOf('event') + 1]!) as DomainEvent;
const matches = (topics: string[], event: DomainEvent) => topics.length === 0 || topics.includes(event.topic);

/**
 * The bus across processes (AZORA_REDIS_URL): one Redis Stream of every event.
 * - `publish` is XADD; it fails at once while Redis is down, so the outbox keeps the event and retries.
 * - Live subscribers share one reader per process that follows the stream from the last id it saw, so after a Redis
 *   outage it resumes where it stopped: each process sees each event once.
 * - A group is a Redis consumer group: each event goes to one member, is acknowledged only after its handler
 *   succeeded, and is retried (or claimed from a member that died) otherwise.
 */
export class RedisEventBus implements EventBus {
  private readonly publisher: Redis;
  private readonly connections: Redis[] = [];
  private readonly live = new Set<{ topics: string[]; handler: EventHandler }>();
  private liveLoop: Promise<void> | undefined;
  /** Settles once the live reader knows where it starts: from then on no published event is missed. */
  private startedLive: () => void = () => undefined;
  private readonly liveStart = new Promise<void>((resolve) => (this.startedLive = resolve));
  private closed = false;
  private readonly consumerName = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  private readonly stream: string;
  private readonly maxLength: number;

  constructor(
    private readonly url: string,
    private readonly log?: Logger,
    options: { stream?: string; maxLength?: number } = {},
  ) {
    this.stream = options.stream ?? DEFAULT_EVENT_STREAM;
    this.maxLength = options.maxLength ?? 100_000;
    this.publisher = this.connect({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  }

  private connect(options: { enableOfflineQueue: boolean; maxRetriesPerRequest: number | null }): Redis {
    const connection = new Redis(this.url, { ...options, retryStrategy: (times) => Math.min(times * 200, 2_000) });
    connection.on('error', (error: Error) => this.log?.debug({ err: error.message }, 'event bus connection trouble'));
    this.connections.push(connection);
    return connection;
  }

  /** Closes a connection before the bus closes, and forgets it. */
  private release(connection: Redis): void {
    const index = this.connections.indexOf(connection);
    if (index === -1) return;
    this.connections.splice(index, 1);
    connection.disconnect();
  }

  async publish(event: DomainEvent): Promise<void> {
    await this.publisher.xadd(this.stream, 'MAXLEN', '~', String(this.maxLength), '*', 'event', JSON.stringify(event));
  }

  subscribe(topics: string[], handler: EventHandler, options: { group?: string } = {}): () => void {
    if (options.group) return this.subscribeGroup(options.group, topics, handler);
    const entry = { topics, handler };
    this.live.add(entry);
    this.liveLoop ??= this.followLive();
    return () => this.live.delete(entry);
  }

  listening(): Promise<void> {
    this.liveLoop ??= this.followLive();
    return this.liveStart;
  }

  private async pause(ms: number) {
    await new Promise((resolve) => setTimeout(resolve, ms).unref());
  }

  private async followLive(): Promise<void> {
    const reader = this.connect({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    let lastId: string | undefined;
    while (!this.closed) {
      try {
        if (lastId === undefined) {
          // Start at the newest entry: a live feed delivers what happens from now on.
          const newest = (await reader.xrevrange(this.stream, '+', '-', 'COUNT', 1)) as StreamEntries;
          lastId = newest[0]?.[0] ?? '0-0';
          this.startedLive();
        }
        const batch = (await reader.xread('COUNT', 500, 'BLOCK', BLOCK_MS, 'STREAMS', this.stream, lastId)) as
          [string, StreamEntries][] | null;
        for (const [id, fields] of batch?.[0]?.[1] ?? []) {
          lastId = id;
          const event = eventOf(fields);
          for (const { topics, handler } of this.live) {
            if (matches(topics, event))
              void Promise.resolve()
                .then(() => handler(event))
                .catch(() => undefined);
          }
        }
      } catch (error) {
        if (this.closed) return;
        this.log?.debug({ err: (error as Error).message }, 'live event reader retrying');
        await this.pause(250);
      }
    }
  }

  private subscribeGroup(group: string, topics: string[], handler: EventHandler): () => void {
    const reader = this.connect({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    let stopped = false;
    let handling = false;
    const handle = async (entries: StreamEntries) => {
      handling = true;
      try {
        for (const [id, fields] of entries) {
          if (stopped) return; // the rest stays pending: retried by this bus's next subscriber, or claimed by another member
          const event = eventOf(fields);
          if (matches(topics, event)) {
            try {
              await handler(event);
            } catch (error) {
              this.log?.warn({ err: error, group, eventId: event.id }, 'event handler failed; it will be retried');
              continue; // not acknowledged: delivered again
            }
          }
          await reader.xack(this.stream, group, id);
        }
      } finally {
        handling = false;
        // Unsubscribed while a handler ran: its acknowledgement is sent, now the reader can go.
        if (stopped) this.release(reader);
      }
    };
    const loop = async () => {
      let lastRetry = 0;
      while (!stopped && !this.closed) {
        try {
          await reader.xgroup('CREATE', this.stream, group, '0', 'MKSTREAM').catch((error: Error) => {
            if (!/BUSYGROUP/.test(error.message)) throw error;
          });
          if (Date.now() - lastRetry > RETRY_PENDING_EVERY_MS) {
            lastRetry = Date.now();
            // Our own unacknowledged events, then those of members silent for a while (crashed).
            const mine = (await reader.xreadgroup(
              'GROUP',
              group,
              this.consumerName,
              'COUNT',
              100,
              'STREAMS',
              this.stream,
              '0',
            )) as [string, StreamEntries][] | null;
            await handle(mine?.[0]?.[1] ?? []);
            const claimed = (await reader.xautoclaim(
              this.stream,
              group,
              this.consumerName,
              CLAIM_IDLE_MS,
              '0-0',
              'COUNT',
              100,
            )) as [string, StreamEntries];
            await handle((claimed?.[1] ?? []).filter((entry) => entry && entry[1]));
          }
          const fresh = (await reader.xreadgroup(
            'GROUP',
            group,
            this.consumerName,
            'COUNT',
            100,
            'BLOCK',
            BLOCK_MS,
            'STREAMS',
            this.stream,
            '>',
          )) as [string, StreamEntries][] | null;
          await handle(fresh?.[0]?.[1] ?? []);
        } catch (error) {
          if (stopped || this.closed) return;
          this.log?.debug({ err: (error as Error).message, group }, 'group reader retrying');
          await this.pause(250);
        }
      }
    };
    void loop();
    return () => {
      stopped = true;
      // The reader is this subscription's own: closing it ends a blocking read at once (the loop sees `stopped`
      // and returns) rather than keeping a connection per unsubscribed group until the bus closes.
      if (!handling) this.release(reader);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.startedLive(); // nobody waits for a reader that will never start
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
