import { gate } from '@azora/testing';
import { fetchKey, SharedFetches } from '../src/resilience/in-flight';

describe('shared fetches', () => {
  it('keys on the body and every header but the request id and trace context', () => {
    const base = { 'content-type': 'application/json', 'x-azora-identity': 'alice' };
    const key = fetchKey('{"query":"{ a }"}', { ...base, 'x-request-id': 'r1', traceparent: '00-1-1-01' });
    expect(fetchKey('{"query":"{ a }"}', { ...base, 'x-request-id': 'r2', traceparent: '00-2-2-01' })).toBe(key);
    expect(fetchKey('{"query":"{ a }"}', { ...base, 'x-azora-identity': 'bob' })).not.toBe(key);
    expect(fetchKey('{"query":"{ b }"}', base)).not.toBe(key);
  });

  it('lets a query join an identical one in flight, and forgets it once it settles', async () => {
    const shared = new SharedFetches<string>(30_000);
    const first = gate<string>();
    let joined = 0;
    const a = shared.query(
      'k',
      'x',
      () => first.opened,
      () => joined++,
    );
    const b = shared.query(
      'k',
      'y',
      () => Promise.resolve('own'),
      () => joined++,
    );
    expect(joined).toBe(1);
    first.open('answer');
    expect([await a, await b]).toEqual(['answer', 'answer']);
    expect(shared.size).toBe(0);
    expect(
      await shared.query(
        'k',
        'x',
        () => Promise.resolve('fresh'),
        () => joined++,
      ),
    ).toBe('fresh');
  });

  it('hands a failed fetch to everyone who joined it, then sends the next one anew', async () => {
    const shared = new SharedFetches<string>(30_000);
    const first = gate<string>();
    const failing = first.opened.then(() => Promise.reject(new Error('subgraph down')));
    const a = shared.query(
      'k',
      'x',
      () => failing,
      () => undefined,
    );
    const b = shared.query(
      'k',
      'x',
      () => Promise.resolve('own'),
      () => undefined,
    );
    first.open('');
    await expect(a).rejects.toThrow('subgraph down');
    await expect(b).rejects.toThrow('subgraph down');
    expect(shared.size).toBe(0);
    expect(
      await shared.query(
        'k',
        'x',
        () => Promise.resolve('fresh'),
        () => undefined,
      ),
    ).toBe('fresh');
  });

  it('keeps a caller off fetches older than their own write, not other callers, and lets later ones join theirs', async () => {
    const shared = new SharedFetches<string>(30_000);
    const old = gate<string>();
    void shared.query(
      'k',
      'x',
      () => old.opened,
      () => undefined,
    );
    await shared.write('x', async () => undefined);
    let joins = 0;
    const other = shared.query(
      'k',
      'y',
      () => Promise.resolve('own'),
      () => joins++,
    ); // y wrote nothing: joins
    const mine = shared.query(
      'k',
      'x',
      () => Promise.resolve('newer'),
      () => joins++,
    ); // x wrote: its own fetch
    const again = shared.query(
      'k',
      'x',
      () => Promise.resolve('third'),
      () => joins++,
    ); // joins x's newer fetch
    old.open('older');
    expect([await other, await mine, await again, joins]).toEqual(['older', 'newer', 'newer', 2]);
  });

  it('makes everyone wait for newer fetches when it must forget writes younger than a fetch', async () => {
    const shared = new SharedFetches<string>(30_000, 2);
    const old = gate<string>();
    void shared.query(
      'k',
      'x',
      () => old.opened,
      () => undefined,
    );
    for (const writer of ['a', 'b', 'c']) await shared.write(writer, async () => undefined); // 'a' is forgotten
    // 'x' never wrote, but 'a' may be whom 'x' read after: the old fetch is not joined.
    expect(
      await shared.query(
        'k',
        'x',
        () => Promise.resolve('newer'),
        () => undefined,
      ),
    ).toBe('newer');
    old.open('older');
  });

  it('forgets writes older than any fetch can last without raising the bar', async () => {
    const shared = new SharedFetches<string>(0, 2);
    const old = gate<string>();
    void shared.query(
      'k',
      'x',
      () => old.opened,
      () => undefined,
    );
    for (const writer of ['a', 'b', 'c']) await shared.write(writer, async () => undefined);
    const joined = shared.query(
      'k',
      'x',
      () => Promise.resolve('newer'),
      () => undefined,
    );
    old.open('older');
    expect(await joined).toBe('older');
  });
});
