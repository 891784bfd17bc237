import { randomBytes } from 'node:crypto';
import { eventStream, newId, RedisEventBus, type DomainEvent } from '@azora/kit';
import { TEST_REDIS_URL, until } from '@azora/testing';

const event = (type: string): DomainEvent => ({
  id: newId(),
  topic: 'test.live',
  type,
  source: 'test',
  occurredAt: new Date().toISOString(),
  payload: {},
});

describe('the Redis bus for live subscribers', () => {
  let bus: RedisEventBus;
  beforeEach(() => {
    bus = new RedisEventBus(TEST_REDIS_URL, undefined, { stream: `azora:test:${randomBytes(6).toString('hex')}` });
  });
  afterEach(() => bus.close());

  it('delivers an event published the moment listening() resolves: the reader already knows where it starts', async () => {
    // Events already in the stream are history: a live subscriber starts after them. (The publisher refuses commands
    // until its connection is up, so the first one is sent once it is.)
    await until('the publisher is connected', () =>
      bus.publish(event('before')).then(
        () => true,
        () => undefined,
      ),
    );
    const stream = eventStream(bus, ['test.live'], (e) => e.type);
    await bus.listening();
    await bus.publish(event('first'));
    await bus.publish(event('second'));
    expect([(await stream.next()).value, (await stream.next()).value]).toEqual(['first', 'second']);
    await stream.return!();
  });
});
