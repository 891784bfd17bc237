import { eventStream, newId, type DomainEvent, type EventBus, type EventHandler } from '../src';

/** A bus the test drives by hand: delivery is synchronous, and it says whether anyone is still subscribed. */
function handBus() {
  let handler: EventHandler | undefined;
  const bus: EventBus = {
    publish: async () => undefined,
    subscribe(_topics, h) {
      handler = h;
      return () => {
        handler = undefined;
      };
    },
    close: async () => undefined,
  };
  return {
    bus,
    deliver: (event: DomainEvent) => void handler?.(event),
    subscribed: () => handler !== undefined,
  };
}

const anEvent = (n: number): DomainEvent => ({
  id: newId(),
  topic: 't',
  type: 't.happened',
  source: 'test',
  payload: { n },
  occurredAt: new Date().toISOString(),
});
const nOf = (result: IteratorResult<DomainEvent>) => (result.done ? 'done' : result.value.payload.n);

describe('eventStream', () => {
  it('passes each event on once, however often the bus delivers it', async () => {
    const { bus, deliver } = handBus();
    const stream = eventStream(bus, ['t'], (e) => e);
    const [one, two] = [anEvent(1), anEvent(2)];
    deliver(one);
    deliver(one);
    deliver(two);
    deliver(one);
    expect([nOf(await stream.next()), nOf(await stream.next())]).toEqual([1, 2]);
    const third = stream.next();
    deliver(anEvent(3));
    expect(nOf(await third)).toBe(3);
    await stream.return!();
  });

  it('keeps at most maxQueue waiting events, dropping the oldest', async () => {
    const { bus, deliver } = handBus();
    const stream = eventStream(bus, ['t'], (e) => e, { maxQueue: 2 });
    for (const n of [1, 2, 3, 4]) deliver(anEvent(n));
    expect([nOf(await stream.next()), nOf(await stream.next())]).toEqual([3, 4]);
    await stream.return!();
  });

  it('ends at once when the client leaves, even while waiting, and unsubscribes', async () => {
    const { bus, deliver, subscribed } = handBus();
    const stream = eventStream(bus, ['t'], (e) => e);
    const waiting = stream.next();
    expect(subscribed()).toBe(true);
    await stream.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(subscribed()).toBe(false);
    deliver(anEvent(1));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('skips the events its map turns into nothing', async () => {
    const { bus, deliver } = handBus();
    const stream = eventStream(bus, ['t'], (e) => ((e.payload.n as number) % 2 === 0 ? e : undefined));
    for (const n of [1, 2, 3, 4]) deliver(anEvent(n));
    expect([nOf(await stream.next()), nOf(await stream.next())]).toEqual([2, 4]);
    await stream.return!();
  });

  it('replays the log first, then goes live without missing or repeating an event', async () => {
    const { bus, deliver } = handBus();
    const [before, one, two, three] = [anEvent(0), anEvent(1), anEvent(2), anEvent(3)];
    const log = [before, one, two];
    const pages: string[] = [];
    const origins: boolean[] = [];
    const stream = eventStream(
      bus,
      ['t'],
      (e, { replayed }) => {
        origins.push(replayed);
        return e;
      },
      {
        replay: {
          after: before.id,
          page: async (after) => {
            pages.push(after);
            return log.filter((e) => e.id > after).slice(0, 1);
          },
        },
      },
    );
    // Live while the replay has not finished: `two` is also in the log, `three` is not.
    deliver(two);
    deliver(three);
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(nOf(await stream.next()));
    expect(seen).toEqual([1, 2, 3]);
    expect(origins).toEqual([true, true, false]);
    expect(pages).toEqual([before.id, one.id, two.id]);
    await stream.return!();
  });

  it('still delivers a live event older than the replay reached, which the log did not have yet', async () => {
    const { bus, deliver } = handBus();
    // `late` was recorded before `two` but its transaction committed after the replay read the log past it: ids are
    // made when an event is recorded, not when it is published.
    const [before, one, late, two] = [anEvent(0), anEvent(1), anEvent(2), anEvent(3)];
    const log = [before, one, two];
    const stream = eventStream(bus, ['t'], (e) => e, {
      replay: { after: before.id, page: async (after) => log.filter((e) => e.id > after).slice(0, 1) },
    });
    deliver(two); // live and in the log: once only
    deliver(late); // live only
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(nOf(await stream.next()));
    expect(seen).toEqual([1, 3, 2]);
    await stream.return!();
  });
});
