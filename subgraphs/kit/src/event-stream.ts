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

/**
 * The live events of some topics as an async iterator, for a subscription's `subscribe`: events that arrive while
 * the consumer is busy wait in a bounded queue (the oldest are dropped past `maxQueue`), and `return()` — the client
 * unsubscribing — unsubscribes from the bus at once.
 */
export function eventStream<T = DomainEvent>(
  bus: EventBus,
  topics: string[],
  map: (event: DomainEvent) => T | undefined | Promise<T | undefined>,
  maxQueue = 1_000,
): AsyncIterableIterator<T> {
  const queue: DomainEvent[] = [];
  // The bus delivers at least once (an outbox may republish after a crash or by two replicas): each event id is passed
  // on once, so every subscriber gets every event exactly once.
  const seen = new Set<string>();
  let waiting: ((event: DomainEvent | null) => void) | undefined;
  let done = false;
  const unsubscribe = bus.subscribe(topics, (event) => {
    if (done || seen.has(event.id)) return;
    seen.add(event.id);
    if (seen.size > 10_000) seen.delete(seen.values().next().value!);
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
  };
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      while (!done) {
        const event = queue.shift() ?? (await new Promise<DomainEvent | null>((resolve) => (waiting = resolve)));
        if (!event) break;
        // The payload is read in the event's trace (its SQL spans join the trace of the change that caused it).
        const value = await context.with(eventTraceContext(event), () => map(event));
        if (value !== undefined) {
          if (typeof value === 'object' && value !== null) payloadEvents.set(value, event);
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
  return iterator;
}

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
