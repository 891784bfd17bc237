import type { DomainEvent, EventBus } from './events';

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
        const value = await map(event);
        if (value !== undefined) return { value, done: false };
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
