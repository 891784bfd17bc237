import {
  encodeCursor,
  InProcessEventBus,
  newId,
  requestContext,
  type DomainEvent,
  type Identity,
  type Orm,
} from '@azora/kit';
import { codeOf, scratchOrm } from '@azora/testing';
import { LoggedEvent } from '../src/entities/logged-event.entity';
import { logEvent } from '../src/event-log.service';
import { nexus } from '../src/schema';

const operator: Identity = { kind: 'user', userId: newId(), roles: ['admin'], scopes: [] };
const anEvent = (topic: string, n: number): DomainEvent => ({
  id: newId(),
  topic,
  type: `${topic}.happened`,
  source: 'test',
  payload: { n },
  occurredAt: new Date().toISOString(),
});

describe('Nexus event log (SQLite)', () => {
  let orm: Orm;
  let drop: () => Promise<void>;
  const bus = new InProcessEventBus();
  const eventLog = () => requestContext(nexus, { em: orm.em.fork(), identity: operator, bus }).services.eventLog;

  beforeAll(async () => {
    ({ orm, drop } = await scratchOrm(nexus));
  });
  afterAll(async () => {
    await bus.close();
    await drop?.();
  });

  it('replays the log after the cursor, then follows live, logging each live event before it is delivered', async () => {
    const [first, second, other] = [anEvent('a.topic', 1), anEvent('a.topic', 2), anEvent('b.topic', 3)];
    for (const event of [first, second, other]) await logEvent(orm.em.fork(), event);
    const stream = eventLog().follow(['a.topic'], encodeCursor(first.id));
    expect((await stream.next()).value).toEqual({ id: second.id });

    const live = anEvent('a.topic', 4);
    const next = stream.next();
    await bus.publish(live);
    await bus.publish(live); // delivered again by the bus: passed on once
    expect((await next).value).toEqual({ id: live.id });
    expect(await orm.em.fork().findOne(LoggedEvent, { id: live.id })).not.toBeNull();
    expect(await eventLog().byId(live.id)).toMatchObject({ id: live.id, topic: 'a.topic' });

    const after = anEvent('a.topic', 5);
    const following = stream.next();
    await bus.publish(after);
    expect((await following).value).toEqual({ id: after.id });
    await stream.return!();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('refuses what is not a list of 1 to 20 topics', async () => {
    expect(await codeOf(Promise.resolve().then(() => eventLog().follow(['Not A Topic'], null)))).toBe('BAD_USER_INPUT');
    expect(await codeOf(Promise.resolve().then(() => eventLog().follow([], null)))).toBe('BAD_USER_INPUT');
  });

  it('pages the log by cursor, oldest first', async () => {
    const page = await eventLog().page({ first: 2, topic: 'a.topic' });
    expect(page.edges).toHaveLength(2);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest = await eventLog().page({ first: 10, after: page.pageInfo.endCursor, topic: 'a.topic' });
    expect(rest.edges.map((e) => e.node.id)).not.toContain(page.edges[0]!.node.id);
  });
});
