import { context, SpanKind } from '@opentelemetry/api';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  Kind,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
} from 'graphql';
import type { DomainEvent, EventBus } from './events';
import type { OperationMetrics } from './metrics';
import { activeTraceparent, eventTraceContext, inSpan } from './telemetry';

/** Which event each payload an event stream yielded came from, for the delivery's trace. */
const payloadEvents = new WeakMap<object, DomainEvent>();

/** Events recorded before the subscription, read from a durable log before the live ones (e.g. Nexus's replay). */
export interface EventReplay {
  /** Replay the events after this id (ids are time-ordered UUIDv7). */
  after: string;
  /** The next events after `after`, oldest first; an empty page ends the replay. */
  page(after: string): Promise<DomainEvent[]>;
}

export interface EventStreamOptions {
  /** Live events waiting while the consumer is busy; past it the oldest are dropped (default 1,000). */
  maxQueue?: number;
  /** Replays a log first; live events at or before the last replayed id are then skipped. */
  replay?: EventReplay;
}

/** How many event ids a stream remembers to pass each event on once. */
const SEEN_IDS = 10_000;

/**
 * The events of some topics as an async iterator, for every subscription's `subscribe`:
 *
 * - bounded: live events that arrive while the consumer is busy wait in a queue of `maxQueue`, the oldest dropped;
 * - de-duplicated: the bus delivers at least once (an outbox may republish after a crash or by two replicas), so each
 *   event id is passed on once (the last 10,000 ids are remembered);
 * - able to end: `return()` (the client leaving) unsubscribes from the bus at once, even while waiting.
 *
 * `map` turns an event into the subscription's payload (read in the event's trace); undefined skips it. With
 * `replay`, the live feed is subscribed first and buffered while the log is read, so an event committed during the
 * replay is neither missed nor delivered twice.
 */
export function eventStream<T = DomainEvent>(
  bus: EventBus,
  topics: string[],
  map: (event: DomainEvent, origin: { replayed: boolean }) => T | undefined | Promise<T | undefined>,
  options: EventStreamOptions | number = {},
): AsyncIterableIterator<T> {
  const { maxQueue = 1_000, replay } = typeof options === 'number' ? { maxQueue: options } : options;
  const queue: DomainEvent[] = [];
  const seen = new Set<string>();
  const firstSight = (event: DomainEvent) => {
    if (seen.has(event.id)) return false;
    seen.add(event.id);
    if (seen.size > SEEN_IDS) seen.delete(seen.values().next().value!);
    return true;
  };
  let lastReplayed = replay?.after ?? null;
  let replaying = replay !== undefined;
  const replayed: DomainEvent[] = [];
  let waiting: ((event: DomainEvent | null) => void) | undefined;
  let done = false;
  const listening = bus.listening?.() ?? Promise.resolve();
  const unsubscribe = bus.subscribe(topics, (event) => {
    if (done || !firstSight(event)) return;
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(event);
      return;
    }
    queue.push(event);
    if (queue.length > maxQueue) queue.shift();
  });
  const finish = () => {
    done = true;
    unsubscribe();
    waiting?.(null);
    waiting = undefined;
    queue.length = 0;
    replayed.length = 0;
  };
  /** The next replayed event, or null once the log has nothing after the last one. */
  const nextReplayed = async (): Promise<DomainEvent | null> => {
    if (replayed.length === 0) replayed.push(...(await replay!.page(lastReplayed!)));
    const event = replayed.shift();
    if (!event) return null;
    lastReplayed = event.id;
    seen.add(event.id);
    // The live copy of an event the replay delivers may wait in the queue already: it must not come a second time.
    const live = queue.findIndex((queued) => queued.id === event.id);
    if (live >= 0) queue.splice(live, 1);
    return event;
  };
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      while (!done) {
        let event: DomainEvent | null;
        let wasReplayed = false;
        if (replaying) {
          event = await nextReplayed();
          if (!event) {
            replaying = false;
            continue;
          }
          wasReplayed = true;
        } else {
          event = queue.shift() ?? (await new Promise<DomainEvent | null>((resolve) => (waiting = resolve)));
          if (!event) break;
        }
        if (done) break;
        // The payload is read in the event's trace (its SQL spans join the trace of the change that caused it).
        const current = event;
        const value = await context.with(eventTraceContext(current), () => map(current, { replayed: wasReplayed }));
        if (value !== undefined) {
          if (typeof value === 'object' && value !== null) payloadEvents.set(value, current);
          return { value, done: false };
        }
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<T>> {
      finish();
      return { value: undefined, done: true };
    },
    async throw(error: unknown): Promise<IteratorResult<T>> {
      finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  streamsListening.set(iterator, listening);
  return iterator;
}

/** For each event stream, when it listens: every event published after that reaches it. */
const streamsListening = new WeakMap<object, Promise<void>>();

/** The name of the subscription's root field (the label of the subscription metrics). */
export function subscriptionFieldOf(args: Pick<ExecutionArgs, 'document' | 'operationName'>): string {
  const operation = getOperationAST(args.document, args.operationName);
  const root = operation?.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD);
  return root?.name.value ?? 'unknown';
}

/** A subscription's results that can be ended from outside (graphql-ws calls `return` when the client leaves). */
export type ResultStream = AsyncIterableIterator<ExecutionResult> &
  Required<Pick<AsyncIterator<ExecutionResult>, 'return' | 'throw'>>;

/**
 * graphql's `subscribe`, with each result executed in a span that continues the trace of the event behind it (a child
 * of the event's publish span: the delivery has that one cause) and that span's `traceparent` in the result's
 * `extensions`, so the router continues the same trace when it delivers to its client. Counts running subscriptions
 * and results sent. `return()` reaches the event stream at once, even while it waits for the next event.
 */
export async function subscribeTraced(
  args: ExecutionArgs,
  service: string,
  metrics?: Pick<OperationMetrics, 'subscriptionsActive' | 'subscriptionEvents'>,
): Promise<ResultStream | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
  const field = subscriptionFieldOf(args);
  const events = source as AsyncGenerator<unknown>;
  // Counted as running once its event stream listens, so the gauge never says "subscribed" before a published event
  // would reach it (the signal tests and operators wait on).
  await streamsListening.get(events);
  metrics?.subscriptionsActive.inc({ field });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    metrics?.subscriptionsActive.dec({ field });
  };
  const run = async (payload: unknown): Promise<ExecutionResult> => {
    const event = typeof payload === 'object' && payload !== null ? payloadEvents.get(payload) : undefined;
    const result = async () => (await execute({ ...args, rootValue: payload })) as ExecutionResult;
    metrics?.subscriptionEvents.inc({ field });
    if (!event) return result();
    return inSpan(
      `subscription ${field}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'graphql.operation.type': 'subscription',
          'messaging.message.id': event.id,
          'azora.service': service,
        },
      },
      eventTraceContext(event),
      async () => {
        const executed = await result();
        const traceparent = activeTraceparent();
        return traceparent ? { ...executed, extensions: { ...executed.extensions, traceparent } } : executed;
      },
    );
  };
  const results: ResultStream = {
    async next() {
      const item = await events.next();
      if (item.done) {
        end();
        return { value: undefined, done: true };
      }
      return { value: await run(item.value), done: false };
    },
    async return() {
      end();
      await events.return?.(undefined);
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      end();
      await events.return?.(undefined);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return results;
    },
  };
  return results;
}
